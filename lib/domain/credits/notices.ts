import type { EmailMessage } from '../setup/ports.js';
import type { Ledger } from './model.js';

/**
 * The mail to a business's primary user when its allocations came to exceed its total (R9):
 * nothing was cut or disabled, and what to do about it. Sent once per occurrence: by the one
 * write that set `overAllocatedSince`.
 */
export function overAllocationMail(
  ledger: Ledger,
  productName: string,
  business?: { readonly primaryEmail: string; readonly name: string },
): EmailMessage | undefined {
  const to = business?.primaryEmail ?? ledger.primaryEmail;
  const name = business?.name ?? ledger.businessName;
  if (!to || ledger.balance >= 0) return undefined;
  const who = name ? `${name}'s` : 'Your';
  return {
    to,
    subject: `${productName}: your services hold more credits than you have`,
    text: [
      `${who} ${productName} services hold ${ledger.allocated} credits, but the licenses now add up to ${ledger.total}: over-allocated by ${-ledger.balance} credits.`,
      '',
      'Nothing has been disabled. Until the balance is back at zero, services can only be resized down or disabled.',
      'Add credits (upgrade or renew on AWS Marketplace), or lower what your services use.',
    ].join('\n'),
  };
}
