import type { Suite } from '../main.js';
export const projectionsSuite: Suite = async () => {};
