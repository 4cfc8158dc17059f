/**
 * Block Kit checks the emulator applies to `blocks`: a JSON array of at most 50 objects with a
 * `type`, section/header text within Slack's documented lengths. Violations answer
 * `invalid_blocks` with Slack's `errors` pointers; unparseable JSON answers `invalid_blocks_format`.
 */
import { SlackApiError } from './errors';

export const MAX_BLOCKS = 50;
const SECTION_TEXT_MAX = 3000;
const HEADER_TEXT_MAX = 150;
const KNOWN_BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'video',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a `blocks` argument (JSON string from form bodies, array from JSON bodies). */
export function parseBlocks(raw: unknown): unknown[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw new SlackApiError('invalid_blocks_format');
    }
  }
  if (!Array.isArray(value)) throw new SlackApiError('invalid_blocks_format');
  const errors: string[] = [];
  if (value.length > MAX_BLOCKS) errors.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  value.forEach((block, i) => {
    if (!isRecord(block) || typeof block['type'] !== 'string') {
      errors.push(`missing required field: type [json-pointer:/blocks/${i}]`);
      return;
    }
    const type = block['type'];
    if (!KNOWN_BLOCK_TYPES.has(type)) {
      errors.push(`unsupported type: ${type} [json-pointer:/blocks/${i}/type]`);
      return;
    }
    const text = block['text'];
    if (type === 'section' || type === 'header') {
      const max = type === 'section' ? SECTION_TEXT_MAX : HEADER_TEXT_MAX;
      if (type === 'header' && !isRecord(text)) errors.push(`missing required field: text [json-pointer:/blocks/${i}]`);
      if (isRecord(text)) {
        if (typeof text['text'] !== 'string' || (text['type'] !== 'plain_text' && text['type'] !== 'mrkdwn')) {
          errors.push(`failed to match all allowed schemas [json-pointer:/blocks/${i}/text]`);
        } else if (text['text'].length > max) {
          errors.push(`must be less than ${max + 1} characters [json-pointer:/blocks/${i}/text/text]`);
        } else if (text['text'].length === 0) {
          errors.push(`must be more than 0 characters [json-pointer:/blocks/${i}/text/text]`);
        }
      } else if (type === 'section' && block['fields'] === undefined) {
        errors.push(`must provide text or fields [json-pointer:/blocks/${i}]`);
      }
    }
  });
  if (errors.length > 0) {
    throw new SlackApiError('invalid_blocks', {
      errors,
      response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
    });
  }
  return value;
}
