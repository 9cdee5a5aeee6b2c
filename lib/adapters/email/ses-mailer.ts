import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Mailer } from '../../domain/setup/ports.js';

export interface SesMailerOptions {
  readonly client: SESClient;
  /** The verified SES identity mail is sent from. */
  readonly from: string;
}

/**
 * Plain-text mail through SES `SendEmail`. The classic SES API, not SES v2: the same action
 * (`ses:SendEmail`) and identities, and its client is 35 KB smaller in the setup bundle
 * (SES v2's client carries the schemas of all its hundred operations).
 */
export function createSesMailer({ client, from }: SesMailerOptions): Mailer {
  return {
    async send({ to, subject, text }) {
      await client.send(
        new SendEmailCommand({
          Source: from,
          Destination: { ToAddresses: [to] },
          Message: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: text, Charset: 'UTF-8' } },
          },
        }),
      );
    },
  };
}
