import { DAY_MS, IdKind, PEOPLE, type SeedContext, type TableSeeder } from './seed-plan.js';

const STATUSES = [
  ['closed', 60],
  ['active', 30],
  ['headless', 5],
  ['initializing', 3],
  ['closing', 2],
] as const;
const ORIGINS = [
  ['telegram', 50],
  ['discord', 20],
  ['terminal', 15],
  ['api', 10],
  ['webhook', 5],
] as const;
const SPAN_MS = 90 * DAY_MS;

/** When the i-th session started: spread evenly over the last 90 days, oldest first. */
export function sessionCreatedAt(ctx: SeedContext, i: number): Date {
  return new Date(ctx.now.getTime() - SPAN_MS + Math.floor((SPAN_MS * i) / Math.max(1, ctx.sessions)));
}

function* sessions(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i++) {
    const status = rng.weighted(STATUSES);
    const computer = ctx.computerOf(i);
    const project = ctx.projectOf(i);
    const agent = ctx.agentOf(i);
    const createdAt = sessionCreatedAt(ctx, i);
    const lastActivity = new Date(Math.min(ctx.now.getTime(), createdAt.getTime() + rng.int(60_000, 2 * DAY_MS)));
    const person = rng.chance(0.7) ? PEOPLE[i % PEOPLE.length]! : null;
    const child = i > 10 && rng.chance(0.1);
    const headless = status === 'headless';
    const lastOutput = rng.chance(0.8) ? `${rng.words(12)}\n$ npm test\n${rng.words(8)}` : null;
    yield {
      id: ctx.sessionId(i),
      computer_name: computer,
      title: `[${computer}] ${project}: ${rng.words(4)}`,
      tmux_session_name: headless ? '' : `tc_${i.toString(36)}`,
      last_input_origin: rng.weighted(ORIGINS),
      lifecycle_status: status,
      adapter_metadata: rng.chance(0.6) ? { telegram: { topicId: 1000 + i, chatId: -100123 } } : {},
      session_metadata: person ? { humanEmail: person, humanRole: 'admin', principal: `human:${person}` } : { systemRole: 'worker' },
      project_path: `/home/dev/src/${project}`,
      subdir: rng.chance(0.2) ? 'packages/core' : null,
      description: rng.chance(0.3) ? rng.words(10) : null,
      terminal_size: rng.pick(['80x24', '120x40', '200x50']),
      initiated_by_ai: child,
      initiator_session_id: child ? ctx.sessionId(rng.int(0, i - 1)) : null,
      notification_sent: rng.chance(0.5),
      native_session_id: ctx.id(IdKind.NativeSession, i),
      native_log_file: `/home/dev/.${agent}/projects/${project}/${i}.jsonl`,
      active_agent: agent,
      thinking_mode: rng.pick(['fast', 'med', 'slow']),
      tui_capture_started: !headless,
      last_message_sent: rng.words(rng.int(3, 15)),
      last_message_sent_at: lastActivity,
      last_output_raw: lastOutput,
      last_output_at: lastOutput ? lastActivity : null,
      last_output_summary: lastOutput ? rng.words(8) : null,
      last_tool_use_at: lastActivity,
      working_slug: rng.chance(0.3) ? `feature-${i}` : null,
      human_email: person,
      human_role: person ? 'admin' : null,
      char_offset: rng.int(0, 200_000),
      transcript_files: [`/home/dev/.${agent}/transcripts/${i}.jsonl`],
      principal: person ? `human:${person}` : `system:${computer}`,
      owner_person: person,
      owner_uid: person ? 1000 + PEOPLE.indexOf(person as (typeof PEOPLE)[number]) : null,
      created_at: createdAt,
      last_activity: lastActivity,
      closed_at: status === 'closed' ? lastActivity : null,
    };
  }
}

function* voiceAssignments(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 0; i < ctx.sessions; i += 4) {
    yield {
      id: ctx.rng.chance(0.5) ? ctx.sessionId(i) : ctx.id(IdKind.NativeSession, i),
      service_name: ctx.rng.pick(['elevenlabs', 'openai', 'macos']),
      voice: ctx.rng.pick(['Rachel', 'Adam', 'alloy', 'nova', 'Samantha', '']),
      assigned_at: sessionCreatedAt(ctx, i),
    };
  }
}

function* systemSettings(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const settings: [string, string][] = [
    ['default_agent', 'claude'],
    ['voice.enabled', 'true'],
    ['telegram.supergroup_id', '-1001234567890'],
    ['memory.extraction_interval_minutes', '30'],
    ['seed.sessions', String(ctx.sessions)],
  ];
  for (const [key, value] of settings) yield { key, value, updated_at: ctx.now };
}

export const foundationSeeders: TableSeeder[] = [
  { table: 'sessions', rows: sessions },
  { table: 'voice_assignments', after: ['sessions'], rows: voiceAssignments },
  { table: 'system_settings', rows: systemSettings },
];
