import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes on every run, so runs can be filtered in Temporal Web. */
export const BACKFLOW_SYNC = defineSearchAttributeKey('BackflowSync', 'KEYWORD');
export const BACKFLOW_DESTINATION = defineSearchAttributeKey('BackflowDestination', 'KEYWORD');
export const BACKFLOW_STATUS = defineSearchAttributeKey('BackflowStatus', 'KEYWORD');
export const BACKFLOW_REJECTED = defineSearchAttributeKey('BackflowRejected', 'INT');

export const BACKFLOW_SEARCH_ATTRIBUTES = [BACKFLOW_SYNC, BACKFLOW_DESTINATION, BACKFLOW_STATUS, BACKFLOW_REJECTED];
