import { z } from 'zod';
import { CONTRACT_STATUSES } from '../../lib/adapters/dynamodb/sales-reader.js';

const limit = z.coerce.number().int().min(1).max(100).default(50);
const cursor = z
  .string()
  .max(4000)
  .regex(/^[A-Za-z0-9_-]*$/, 'an opaque cursor from a previous page')
  .optional();
const format = z.enum(['json', 'csv', 'html']).optional();

export const contractsQuerySchema = z.object({
  status: z.enum(CONTRACT_STATUSES as [string, ...string[]]).optional(),
  product: z.string().max(255).optional(),
  expiringBefore: z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'a date such as 2027-01-31')
    .transform((s) => new Date(s).toISOString())
    .optional(),
  business: z.string().max(100).optional(),
  freeTrial: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit,
  cursor,
  format,
});

export const setupsQuerySchema = z.object({
  state: z.enum(['open', 'expired']).default('open'),
  limit,
  cursor,
  format,
});
