/** What the copy tests share: `teleclaude-db copy` run in-process, and what the repositories read back from a copied database. */
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { engineForLocation } from '../../src/engines/registry.js';
import type { Store } from '../../src/ports/store.js';
import { storeFor } from './open-options.js';

/** `teleclaude-db copy ARGS` in this process, from `cwd`; its exit code and every line it printed (stdout and stderr). */
export async function runCopy(args: string[], cwd = '/tmp'): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, env: {}, cwd };
  const code = await main(['copy', ...args], io);
  return { code, output: lines.join('\n') };
}

/** A store on the database at `location` (a path or a URL), of the engine the registry reads it as. */
export const openLocation = (location: string): Store => storeFor({ engine: engineForLocation(location, 'location').name, location });

/**
 * What the repositories' read operations return from the database at `location`, in an
 * engine-independent order: equal for a source seeded by `seedEveryTable` and every copy of it.
 */
export async function repositoryReads(location: string): Promise<{ memorySearch: number[]; mirrorSearch: number[]; sessions: unknown[] }> {
  const store = openLocation(location);
  try {
    const r = store.repositories;
    const sessions = (await r.sessions.list({ includeClosed: true, includeInitializing: true, includeHeadless: true })).sort((a, b) => a.id.localeCompare(b.id));
    return {
      sessions,
      get: await Promise.all(sessions.slice(0, 5).map((s) => r.sessions.get(s.id))),
      count: await r.sessions.count(),
      byTitle: (await r.sessions.findByTitlePrefix('title')).map((s) => s.id).sort(),
      voice: await r.voices.get('voice_assignments-1'),
      voicesInUse: (await r.voices.voicesInUse()).map((v) => JSON.stringify(v)).sort(),
      settings: await r.settings.list(),
      pendingDeletions: await r.pendingDeletions.list('sessions-0', 'user_input'),
      agents: await r.agentAvailability.list(),
      listeners: [await r.listeners.count(), await r.listeners.listForTarget('sessions-1')],
      link: [await r.conversationLinks.get('conversation_links-2'), await r.conversationLinks.members('conversation_links-2')],
      token: await r.sessionTokens.validate('session_tokens-3'),
      memory: [await r.memory.recent('project 1 words for search 1'), await r.memory.getByIds([1, 2, 3])],
      // Full-text indexes are rebuilt on each target: the same words find the same rows.
      memorySearch: (await r.memory.search('words search', { limit: 100 })).map((o) => o.id).sort(),
      mirrors: await r.mirrors.list(),
      mirrorSearch: (await r.mirrors.search('conversation words', { limit: 100 })).map((m) => m.id).sort(),
      rowCounts: await store.inspector.rowCounts(),
    } as { memorySearch: number[]; mirrorSearch: number[]; sessions: unknown[] };
  } finally {
    await store.close();
  }
}
