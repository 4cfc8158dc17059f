import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { classifySlackError, historyUnreadable, postedNothing } from '../../src/destinations/slackErrors';
import { DestinationTransientError } from '../../src/errors';
import { DIGEST_KEY, isPostOf, parseProgress, postMetadata, POST_EVENT_TYPE } from '../../src/destinations/slackProgress';

const platform = (error: string) => ({ code: 'slack_webapi_platform_error', data: { ok: false, error } });
const http = (statusCode: number) => ({ code: 'slack_webapi_http_error', statusCode });

describe('whether a failed chat.postMessage posted nothing', () => {
  it('is certain when Slack answered and refused: a 429, another 4xx, an ok:false error', () => {
    expect(postedNothing({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 })).toBe(true);
    expect(postedNothing(http(429))).toBe(true);
    expect(postedNothing(http(400))).toBe(true);
    for (const error of ['ratelimited', 'channel_not_found', 'msg_too_long', 'invalid_auth', 'service_unavailable', 'invalid_metadata_format']) {
      expect({ error, nothing: postedNothing(platform(error)) }).toEqual({ error, nothing: true });
    }
  });

  it('is certain after a 429 whose Retry-After the client could not read (an HTTP date), which is a rate limit, not an unknown failure', async () => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(429, { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT', 'content-type': 'application/json' }).end('{"ok":false,"error":"ratelimited"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new WebClient('xoxb-test', { slackApiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
      const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((failure: unknown) => failure);
      expect(postedNothing(err)).toBe(true);
      expect(classifySlackError(err, 'chat.postMessage').error).toMatchObject({ reason: 'rate-limit', retryAfterMs: 1_000 });
      expect(classifySlackError(err, 'chat.postMessage').error).toBeInstanceOf(DestinationTransientError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is unknown after a 5xx, internal_error or fatal_error (Slack: some of it may have happened), or without an answer', () => {
    expect(postedNothing(http(500))).toBe(false);
    expect(postedNothing(http(502))).toBe(false);
    expect(postedNothing(http(503))).toBe(false);
    expect(postedNothing(platform('internal_error'))).toBe(false);
    expect(postedNothing(platform('fatal_error'))).toBe(false);
    expect(postedNothing({ code: 'slack_webapi_request_error', original: new Error('socket hang up') })).toBe(false);
    expect(postedNothing(new Error('Slack chat.postMessage answered without channel and ts'))).toBe(false);
  });

  it('tells a read the token has no scope for from other failures', () => {
    expect(historyUnreadable(platform('missing_scope'))).toBe(true);
    expect(historyUnreadable(platform('invalid_auth'))).toBe(false);
    expect(historyUnreadable(http(500))).toBe(false);
  });
});

describe('the metadata a post carries, and knowing the post by it', () => {
  const where = { syncName: 'alerts', runId: 'run-1', batchId: 'run-1#4' };
  const ref = { key: '4', post: 'p-1' };

  it('names the sync, run, batch, row and the post itself', () => {
    expect(postMetadata(where, ref)).toEqual({ event_type: POST_EVENT_TYPE, event_payload: { sync: 'alerts', run: 'run-1', batch: 'run-1#4', key: '4', post: 'p-1' } });
    expect(postMetadata(where, { key: DIGEST_KEY, post: 'p-2' }).event_payload).toEqual({ sync: 'alerts', run: 'run-1', batch: 'run-1#4', digest: true, post: 'p-2' });
  });

  it('matches only the same sync, row and post — never a message by its text or another row’s', () => {
    const own = postMetadata(where, ref);
    expect(isPostOf(own, 'alerts', ref)).toBe(true);
    expect(isPostOf(postMetadata(where, { key: '2', post: 'p-1' }), 'alerts', ref)).toBe(false);
    expect(isPostOf(postMetadata({ ...where, syncName: 'other' }, ref), 'alerts', ref)).toBe(false);
    expect(isPostOf(postMetadata(where, { key: '4', post: 'p-0' }), 'alerts', ref)).toBe(false);
    expect(isPostOf({ ...own, event_type: 'task_created' }, 'alerts', ref)).toBe(false);
    expect(isPostOf(undefined, 'alerts', ref)).toBe(false);
    expect(isPostOf({ event_type: POST_EVENT_TYPE }, 'alerts', ref)).toBe(false);
    const digest = { key: DIGEST_KEY, post: 'p-2' };
    expect(isPostOf(postMetadata(where, digest), 'alerts', digest)).toBe(true);
    expect(isPostOf(postMetadata(where, { key: DIGEST_KEY, post: 'p-1' }), 'alerts', ref)).toBe(false);
  });

  it('reads a lost-post marker saved before posts carried metadata (it has no post id)', () => {
    const legacy = { done: {}, pending: { key: '4', channel: '#cs-alerts', text: 'An account is now healthy', at: 1_700_000_000_000 } };
    expect(parseProgress(JSON.stringify(legacy))).toEqual(legacy);
  });
});
