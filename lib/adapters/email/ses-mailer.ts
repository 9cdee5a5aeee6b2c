import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mailer } from '../../domain/setup/ports.js';

export interface SesMailerOptions {
  readonly client: SESv2Client;
  /** The verified SES identity mail is sent from. */
  readonly from: string;
}

/** Plain-text mail through SES v2. */
export function createSesMailer({ client, from }: SesMailerOptions): Mailer {
  return {
    async send({ to, subject, text }) {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [to] },
          Content: {
            Simple: {
              Subject: { Data: subject, Charset: 'UTF-8' },
              Body: { Text: { Data: text, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    },
  };
}
