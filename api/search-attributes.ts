// Custom Temporal search attributes (Keyword). dev/temporal/search-attributes.txt registers the same names;
// test/unit/search-attributes.test.ts keeps the two lists equal.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const searchAttributes = {
  namespace: defineSearchAttributeKey('StashNamespace', SearchAttributeType.KEYWORD),
  sessionKind: defineSearchAttributeKey('StashSessionKind', SearchAttributeType.KEYWORD),
  invokerKind: defineSearchAttributeKey('StashInvokerKind', SearchAttributeType.KEYWORD),
  invokerName: defineSearchAttributeKey('StashInvokerName', SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey('StashTarget', SearchAttributeType.KEYWORD),
  repository: defineSearchAttributeKey('StashRepository', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('StashPhase', SearchAttributeType.KEYWORD),
} as const;
