import { z } from 'zod';
import { DEFAULT_ENGINE, ENGINE_NAMES, ENGINES, engineChoices } from '../engines/registry.js';

type Engines = (typeof ENGINES)[number];

/** One block per registered engine, under its name; `.prefault({})` so that an absent block gets the inner defaults. */
type EngineBlocks = { [E in Engines as E['name']]: z.ZodPrefault<E['config']> };

type DatabaseShape = { engine: z.ZodDefault<z.ZodEnum<{ [N in Engines['name']]: N }>> } & EngineBlocks;

/**
 * The `database:` block of teleclaude.yml, with every default filled in: `engine` and one
 * block per registered engine (each engine states its block and defaults in its own folder).
 */
export const databaseConfigSchema = z
  .object({
    engine: z.enum(ENGINE_NAMES, { error: engineChoices() }).default(DEFAULT_ENGINE),
    ...Object.fromEntries((ENGINES as readonly { name: string; config: z.ZodObject }[]).map((engine) => [engine.name, engine.config.prefault({})])),
  } as unknown as DatabaseShape)
  .strict();

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;
export type DatabaseConfigInput = z.input<typeof databaseConfigSchema>;
