import { defineConfig } from 'tributary';
import { Counter, Totals } from './domain.mjs';

export default defineConfig({ aggregates: [Counter], projections: [Totals], nats: { prefix: 'from-config' } });
