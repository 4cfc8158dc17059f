import { MessageRenderer, unmappedVariables } from '../../src/destinations/slackMessages';
import { LocalChannelPacer } from '../../src/destinations/slackPacing';
import { classifySlackError } from '../../src/destinations/slackErrors';
import { parseMessageId } from '../../src/destinations/slackProgress';
import { slackTargetSchema } from '../../src/destinations/slackTarget';
import { BackflowError, DestinationTransientError } from '../../src/errors';

const TEMPLATE = "{{ name }}'s health dropped to {{ health }} ({{ segment }})";
const acme = { key: '1', fields: { name: 'Acme', health: 38, segment: 'at-risk' } };
const globex = { key: '2', fields: { name: 'Globex', health: 82, segment: 'healthy' } };

describe('Slack message rendering', () => {
  it('renders the template from the mapped fields', () => {
    expect(new MessageRenderer({ template: TEMPLATE }).render(acme)).toEqual({ kind: 'message', text: "Acme's health dropped to 38 (at-risk)" });
  });

  it("shows a row's values literally: its <!channel>, <@U…> or <url|label> neither pings nor links; the template's own markup works", () => {
    const row = { key: '1', fields: { name: '<!channel> AT&T <@U0HUMAN01> <https://evil.example|click>', meta: { tier: 'gold' }, tags: ['a', 'b'] } };
    const rendered = new MessageRenderer({ template: '<!here> {{ name }} in <#C0CSALERTS1> {{ meta }} {{ tags }} <https://crm.example/1|open>' }).render(row);
    expect(rendered).toEqual({
      kind: 'message',
      text: '<!here> &lt;!channel&gt; AT&amp;T &lt;@U0HUMAN01&gt; &lt;https://evil.example|click&gt; in <#C0CSALERTS1> {"tier":"gold"} ["a","b"] <https://crm.example/1|open>',
    });
    // A column holding Slack markup on purpose.
    expect(new MessageRenderer({ template: '{{ name | raw }}' }).render(row)).toEqual({ kind: 'message', text: row.fields.name });
  });

  it('rejects a record whose template needs a field it lacks, naming the variable', () => {
    const rendered = new MessageRenderer({ template: '{{ name }} owned by {{ owner }}' }).render(acme);
    expect(rendered).toMatchObject({ kind: 'reject', error: { code: 'TEMPLATE_UNDEFINED_VARIABLE', fields: ['owner'] } });
  });

  it('skips rows the when filter leaves out, with the reason, for both filter forms', () => {
    const simple = new MessageRenderer({ template: TEMPLATE, when: { field: 'segment', equals: 'at-risk' } });
    expect(simple.render(acme).kind).toBe('message');
    expect(simple.render(globex)).toEqual({ kind: 'skip', reason: 'when: segment is "healthy", not "at-risk"' });
    const list = new MessageRenderer({ template: TEMPLATE, when: { field: 'health', in: ['38', 40] } });
    expect(list.render(acme).kind).toBe('message');
    expect(list.render(globex).kind).toBe('skip');
    const liquid = new MessageRenderer({ template: TEMPLATE, when: 'segment == "at-risk" and health < 40' });
    expect(liquid.render(acme).kind).toBe('message');
    expect(liquid.render(globex)).toEqual({ kind: 'skip', reason: 'when: segment == "at-risk" and health < 40 is false' });
  });

  it('writes a digest: title with the count, the top N rows by sortBy, and how many more', () => {
    const renderer = new MessageRenderer({
      template: '{{ name }} ({{ health }})',
      digest: { top: 2, title: '{{ count }} accounts at risk', sortBy: 'health', order: 'asc' },
    });
    const rows = [globex, acme, { key: '3', fields: { name: 'Initech', health: 55, segment: 'at-risk' } }].map((record) => ({
      record,
      text: (renderer.render(record) as { text: string }).text,
    }));
    expect(renderer.digest(rows)).toBe('3 accounts at risk\n• Acme (38)\n• Initech (55)\n…and 1 more');
  });

  it('compares and sorts decimals (text from the warehouse, to keep every digit) as numbers, not as text', () => {
    const row = (key: string, name: string, health: string, floor: string) => ({ key, fields: { name, health, floor } });
    const acmeDecimal = row('1', 'Acme', '9.50', '10');
    const globexDecimal = row('2', 'Globex', '35', '10');
    const initech = row('3', 'Initech', '100', '10');
    const below = new MessageRenderer({ template: '{{ name }}', when: 'health < floor' });
    expect(below.render(acmeDecimal).kind).toBe('message');
    expect(below.render(globexDecimal).kind).toBe('skip');
    expect(new MessageRenderer({ template: '{{ name }}', when: 'health >= 10.5' }).render(acmeDecimal).kind).toBe('skip');
    // Text that is not a number still compares as text.
    expect(new MessageRenderer({ template: '{{ name }}', when: 'name < "B"' }).render(acmeDecimal).kind).toBe('message');

    const renderer = new MessageRenderer({ template: '{{ name }} ({{ health }})', digest: { top: 2, title: '{{ count }} accounts, lowest health first', sortBy: 'health', order: 'asc' } });
    const rows = [initech, globexDecimal, acmeDecimal].map((record) => ({ record, text: (renderer.render(record) as { text: string }).text }));
    expect(renderer.digest(rows)).toBe('3 accounts, lowest health first\n• Acme (9.50)\n• Globex (35)\n…and 1 more');
  });

  it("keeps a message within Slack's 40,000 characters, saying what it left out, where Slack would cut it silently", () => {
    const long = { key: '1', fields: { name: `${'n'.repeat(40_490)}END` } };
    const rendered = new MessageRenderer({ template: '{{ name }}' }).render(long);
    if (rendered.kind !== 'message') throw new Error('expected a message');
    expect(rendered.text.length).toBeLessThanOrEqual(40_000);
    expect(rendered.text).toMatch(/n… \(\d{3} more characters not shown\)$/);
  });

  it('lists digest rows only while the digest fits 40,000 characters; the rest count in "…and N more"', () => {
    const renderer = new MessageRenderer({ template: '{{ name }}', digest: { top: 100, title: '{{ count }} accounts at risk', order: 'asc' } });
    const rows = Array.from({ length: 150 }, (_, n) => ({ record: { key: String(n), fields: { name: `${n} ${'x'.repeat(460)}` } }, text: `${n} ${'x'.repeat(460)}` }));
    const digest = renderer.digest(rows);
    expect(digest.length).toBeLessThanOrEqual(40_000);
    const listed = digest.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(listed).toBeGreaterThan(50);
    expect(listed).toBeLessThan(100);
    expect(digest.endsWith(`…and ${150 - listed} more`)).toBe(true);
  });

  it('reports template variables, when fields and channelFrom that no mapping provides', () => {
    const issues = unmappedVariables(
      { template: '{{ name }} {{ owner }}', when: { field: 'tier', equals: 1 }, channelFrom: 'team_channel' },
      { mode: 'upsert', mappings: [{ from: 'name', to: 'name' }] },
    );
    expect(issues.map((issue) => issue.path)).toEqual(['destination.template', 'destination.when.field', 'destination.channelFrom']);
  });
});

describe('Slack target schema', () => {
  it('needs exactly one of channel and channelFrom, a parseable template, and a fixed channel for a digest', () => {
    expect(slackTargetSchema.safeParse({ connection: 's', channel: '#a', template: 'x' }).success).toBe(true);
    expect(slackTargetSchema.safeParse({ connection: 's', template: 'x' }).success).toBe(false);
    expect(slackTargetSchema.safeParse({ connection: 's', channel: '#a', template: '{{ name ' }).success).toBe(false);
    expect(slackTargetSchema.safeParse({ connection: 's', channelFrom: 'c', template: 'x', digest: { top: 3 } }).success).toBe(false);
    expect(slackTargetSchema.safeParse({ connection: 's', channel: '#a', template: 'x', when: { field: 'a', equals: 1, in: [1] } }).success).toBe(false);
  });

  it('refuses a when: condition Liquid would read only in part (every row was skipped, or the condition cut short)', () => {
    const whenProblem = (when: string) => {
      const parsed = slackTargetSchema.safeParse({ connection: 's', channel: '#a', template: 'x', when });
      return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join('; ');
    };
    expect(whenProblem('health <> 40')).toBe('invalid Liquid condition: write != for "not equal" (<> is not an operator here)');
    expect(whenProblem('health < 40 or')).toBe('invalid Liquid condition: "or" lacks a value on one side (operators: == != < > <= >= contains and or not)');
    expect(whenProblem('and')).toMatch(/"and" lacks a value on each side/);
    expect(whenProblem('health 40')).toBe('invalid Liquid condition: values without an operator between them');
    for (const fine of ['segment == "at-risk" and health < 40', 'health != 40', 'name contains "<>"', 'not archived', 'x and not y', '(1..3) contains tier']) {
      expect({ fine, problem: whenProblem(fine) }).toEqual({ fine, problem: undefined });
    }
  });
});

describe('Slack errors, pacing and message ids', () => {
  it('turns a rate-limited call into a transient error carrying Retry-After', () => {
    const failure = classifySlackError({ code: 'slack_webapi_rate_limited_error', retryAfter: 3 }, 'chat.postMessage');
    if (failure.scope !== 'batch') throw new Error('expected a batch failure');
    expect(failure.error).toBeInstanceOf(DestinationTransientError);
    expect((failure.error as DestinationTransientError).retryAfterMs).toBe(3000);
  });

  it('sorts ok:false errors into channel, record and token failures', () => {
    const platform = (error: string) => classifySlackError({ code: 'slack_webapi_platform_error', data: { error } }, 'chat.postMessage');
    expect(platform('channel_not_found')).toMatchObject({ scope: 'channel', error: { code: 'channel_not_found' } });
    expect(platform('not_in_channel').scope).toBe('channel');
    expect(platform('msg_too_long')).toMatchObject({ scope: 'record', error: { code: 'msg_too_long' } });
    // chat.postMessage's own throttling answer (HTTP 200, ok:false) is a wait, not a rejected row.
    const throttled = platform('rate_limited');
    if (throttled.scope !== 'batch') throw new Error('expected a batch failure');
    expect(throttled.error).toBeInstanceOf(DestinationTransientError);
    expect((throttled.error as DestinationTransientError).retryAfterMs).toBe(1000);
    const auth = platform('invalid_auth');
    if (auth.scope !== 'batch') throw new Error('expected a batch failure');
    expect(auth.error).toBeInstanceOf(BackflowError);
    expect((auth.error as BackflowError).code).toBe('DESTINATION_AUTH_FAILED');
    const http = classifySlackError({ code: 'slack_webapi_http_error', statusCode: 503 }, 'chat.update');
    expect(http.scope === 'batch' && http.error).toBeInstanceOf(DestinationTransientError);
  });

  it('paces writes to one channel a second apart, other channels independently', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const pacer = new LocalChannelPacer(1_000, () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    await pacer.wait('#a');
    await pacer.wait('#a');
    await pacer.wait('#b');
    now += 500;
    await pacer.wait('#a');
    expect(slept).toEqual([1_000, 500]);
  });

  it('reads channel:ts destination ids', () => {
    expect(parseMessageId('C123:1700000000.000100')).toEqual({ channel: 'C123', ts: '1700000000.000100' });
    expect(parseMessageId('slack-webhook:1')).toBeNull();
  });
});
