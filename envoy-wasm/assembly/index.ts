// Placeholder entry until the real filter replaces it: the demo filter (root id "meshgate") from
// probe/demo-filter.ts. The entry must keep `export * from "./abi/exports"` (see README, "ABI bindings").

export * from "./abi/exports";

import "../probe/demo-filter";
