import decimalModule, { type Decimal as DecimalClass } from "decimal.js";

/**
 * decimal.js's Decimal constructor. Its ESM build has only a default export, but its typings are CommonJS,
 * so under NodeNext `import Decimal from "decimal.js"` is typed as the module namespace; this is the same
 * runtime value with the class's type.
 */
export const Decimal = decimalModule as unknown as typeof DecimalClass;
/** A decimal.js Decimal instance. */
export type Decimal = DecimalClass;
