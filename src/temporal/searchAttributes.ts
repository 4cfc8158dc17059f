/** Custom search attributes on every run (defined with the workflow, which upserts them). */
export {
  BACKFLOW_SYNC,
  BACKFLOW_DESTINATION,
  BACKFLOW_STATUS,
  BACKFLOW_REJECTED,
  BACKFLOW_SEARCH_ATTRIBUTES,
} from '../../workflows/searchAttributes';
