import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { BACKFLOW_SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const INDEXED: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface SetupResult {
  added: string[];
  present: string[];
}

/**
 * Registers backflow's search attributes on an existing cluster's namespace (what the dev-server
 * launcher does with --search-attribute). Idempotent: present ones are left alone; one registered
 * with another type is an error naming it (runs would fail to upsert it).
 */
export async function registerSearchAttributes(connection: ConnectionLike, namespace: string): Promise<SetupResult> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = listed.customAttributes ?? {};
  const result: SetupResult = { added: [], present: [] };
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of BACKFLOW_SEARCH_ATTRIBUTES) {
    const want = INDEXED[key.type];
    const have = custom[key.name];
    if (have === undefined || have === null) {
      missing[key.name] = want;
      result.added.push(key.name);
    } else if (have !== want) {
      throw new Error(
        `search attribute ${key.name} exists in namespace ${namespace} as ${IndexedValueType[have]}, backflow needs ${IndexedValueType[want]}`,
      );
    } else result.present.push(key.name);
  }
  if (result.added.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return result;
}
