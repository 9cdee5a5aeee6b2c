import { z } from 'zod';
import { productSchema } from '../lib/adapters/config/product-catalog.js';

/** The setup function's reserved concurrency when the stage does not say (see the field). */
export const DEFAULT_SETUP_RESERVED_CONCURRENCY = 20;

/** Everything a deployment needs to know, in one typed place (cdk.json context `stages.<stage>`). */
export const deploymentConfigSchema = z
  .object({
    /** AWS account and region; region should be us-east-1, where marketplace events arrive (MARKETPLACE.md §4). */
    account: z
      .string()
      .regex(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')
      .default('us-east-1'),
    productName: z.string().min(1).max(100),
    // The functions' own schema (PRODUCTS), so a config that synthesizes also starts.
    products: z.array(productSchema).min(1, 'list at least one product'),
    /** Verified SES identity (an address or a domain's address) that sends codes and confirmations. */
    senderEmail: z.email('an email address verified in SES'),
    supportEmail: z.email('an email address buyers can write to'),
    consoleUrl: z.url({ protocol: /^https$/, error: 'an https URL of the product console' }),
    dataCenterRegions: z
      .array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,32}$/), label: z.string().min(1).max(64) }))
      .min(1),
    /** Subscribe the queue to the legacy SNS topics as well (listings created before EventBridge). */
    legacySns: z.boolean().default(false),
    /** Where alarms are emailed; absent: the alarm topic has no subscription. */
    alarmEmail: z.email().optional(),
    /**
     * Events for the vendor's product (ARCHITECTURE.md "Events out"): an EventBridge bus of the
     * stack (`bus`, rules route from it), signed webhooks to the seller's endpoint (`webhook`),
     * or both. `source` is the events' EventBridge source.
     */
    events: z
      .object({
        bus: z.boolean().default(true),
        source: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'a lowercase source such as marketplace-credits')
          .refine((s) => !s.startsWith('aws.'), 'a source of your own: EventBridge reserves aws.*')
          .default('marketplace-credits'),
        webhook: z
          .object({
            url: z
              .url({ protocol: /^https$/, error: "an https URL of the seller's webhook endpoint" })
              .refine((u) => {
                const parsed = URL.parse(u);
                return parsed !== null && parsed.username === '' && parsed.password === '';
              }, 'a URL without user:password@ (they would sit in the template)'),
            /** Secrets Manager secret (name) holding `whsec_…`; two, space-separated, during a rotation. */
            secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret name'),
          })
          .optional(),
      })
      .default({ bus: true, source: 'marketplace-credits' }),
    /** Sales hears of every activation and cancellation, and gets the daily digest (stuck setups, over-allocations). */
    salesEmails: z.array(z.email()).max(10).default([]),
    /** When the daily notices run (expiry notices, lapsed ledgers, the sales digest): an EventBridge cron, UTC. */
    noticesSchedule: z
      .string()
      .regex(/^cron\([^)]+\)$/, 'an EventBridge cron expression such as cron(0 8 * * ? *)')
      .default('cron(0 8 * * ? *)'),
    /**
     * The reconciliation sweep (issue 15): when the daily run starts (an EventBridge cron, UTC),
     * and how many marketplace calls per second it may make in all (GetEntitlements and the
     * Agreement API; notifications and setups share those limits, so keep it low).
     */
    sweep: z
      .object({
        schedule: z
          .string()
          .regex(/^cron\([^)]+\)$/, 'an EventBridge cron expression such as cron(30 3 * * ? *)')
          .default('cron(30 3 * * ? *)'),
        callsPerSecond: z.number().positive().max(20).default(5),
      })
      .default({ schedule: 'cron(30 3 * * ? *)', callsPerSecond: 5 }),
    /** Read terms and renewal chains from the Agreement API; off keeps GetEntitlements alone. */
    agreementApi: z.boolean().default(true),
    /**
     * Reserved concurrency of the setup function (the public fulfillment URL): at most this many
     * setup requests run at once, so a flood of anonymous POSTs cannot take the account's
     * concurrency from the notification and sales functions, and those cannot starve buyers.
     * A buyer's setup is a handful of requests of under a second each, minutes apart: 20 at once
     * is far more than real purchases need. `false` reserves nothing: Lambda keeps at least 100 of an account's
     * concurrency unreserved, so an account whose limit is still the new-account 10 cannot
     * reserve any (the deploy fails) until AWS raises it.
     */
    setupReservedConcurrency: z
      .union([
        z.number().int().min(1, 'at least 1 (0 would throttle every buyer); false reserves none'),
        z.literal(false),
      ])
      .default(DEFAULT_SETUP_RESERVED_CONCURRENCY),
  })
  .refine((c) => !c.legacySns || c.region === 'us-east-1', {
    path: ['legacySns'],
    message: 'the marketplace SNS topics live in us-east-1: deploy there to subscribe to them',
  });

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

/** Reads and checks a stage's config; a wrong or missing value fails synth with its path. */
export function parseDeploymentConfig(value: unknown, stage: string): DeploymentConfig {
  if (value === undefined)
    throw new Error(`cdk.json has no context "stages.${stage}": add it or pass -c stage=<name>`);
  const parsed = deploymentConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((i) => `stages.${stage}.${i.path.join('.')}: ${i.message}`)
    .join('\n  ');
  throw new Error(`Invalid deployment configuration:\n  ${problems}`);
}
