/** The schema name of the inventory (docs/inventory.md), apart from the zod schema so printing it does not load zod. */
export const INVENTORY_SCHEMA = 'iiot.discover/1';
