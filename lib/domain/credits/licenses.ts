import type { Contract, ContractStatus, LicenseItem } from '../contract/model.js';
import { contractStatus } from '../contract/model.js';

/** A license from another channel (a direct deal, R2): added by the vendor's backend by its reference. */
export interface DirectLicense {
  /** The external reference (deal or order id): unique, so adding it twice changes nothing. */
  readonly reference: string;
  readonly businessId: string;
  readonly productCode: string;
  readonly credits: number;
  readonly expiresAt: string;
  /** What the vendor calls it (a deal name); optional. */
  readonly description?: string;
  readonly createdAt: string;
  /** Its one item's Activation Code (R11), canonical form. */
  readonly activationCode?: string;
  /** A registered order line (R12): its order, line and service, and when its term starts. */
  readonly orderId?: string;
  readonly lineNo?: number;
  readonly service?: string;
  readonly startsAt?: string;
}

/** One license as the business, the product and sales read it: a contract or a direct license, with its items. */
export interface LicenseView {
  readonly licenseId: string;
  readonly origin: 'marketplace' | 'other-channel';
  readonly productCode: string;
  readonly status: ContractStatus;
  /** Credits counting now (0 once ended or lapsed). */
  readonly credits: number;
  readonly expiresAt: string;
  readonly activatedAt?: string;
  readonly reference?: string;
  readonly description?: string;
  /** A registered order line (R12): its order, line and service. */
  readonly orderId?: string;
  readonly lineNo?: number;
  readonly service?: string;
  readonly items: readonly LicenseItemView[];
}

export interface LicenseItemView {
  readonly itemNo: number;
  readonly origin: LicenseItem['origin'] | 'other-channel';
  readonly credits: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: 'active' | 'ended';
  readonly endReason?: LicenseItem['endReason'] | 'expired';
  /** The item's Activation Code (R11); absent on items written before codes existed. */
  readonly activationCode?: string;
}

/**
 * The licenses of a business at `now`: each contract with its items, each direct license as one
 * item. An item whose expiration instant has passed shows as ended (R2), notification or not.
 */
export function licenseViews(
  contracts: readonly { readonly contract: Contract; readonly items: readonly LicenseItem[] }[],
  direct: readonly DirectLicense[],
  now: Date,
): LicenseView[] {
  const lapsed = (expiresAt: string) => !(Date.parse(expiresAt) > now.getTime());
  const fromContracts = contracts.map(({ contract, items }): LicenseView => {
    const ended = contract.term !== 'current' || lapsed(contract.expiresAt);
    return {
      licenseId: contract.contractId,
      origin: 'marketplace',
      productCode: contract.productCode,
      status:
        contract.term === 'current' && lapsed(contract.expiresAt) ? 'expired' : contractStatus(contract),
      credits: ended ? 0 : contract.activeCredits,
      expiresAt: contract.expiresAt,
      ...(contract.activatedAt ? { activatedAt: contract.activatedAt } : {}),
      items: [...items]
        .sort((a, b) => a.itemNo - b.itemNo)
        .map((item) => {
          const itemLapsed = item.state === 'active' && lapsed(item.expiresAt);
          return {
            itemNo: item.itemNo,
            origin: item.origin,
            credits: item.credits,
            createdAt: item.createdAt,
            expiresAt: item.expiresAt,
            state: itemLapsed ? 'ended' : item.state,
            ...(itemLapsed
              ? { endReason: 'expired' as const }
              : item.endReason
                ? { endReason: item.endReason }
                : {}),
            ...(item.activationCode ? { activationCode: item.activationCode } : {}),
          };
        }),
    };
  });
  const fromDirect = direct.map((license): LicenseView => {
    const ended = lapsed(license.expiresAt);
    return {
      licenseId: `direct~${license.reference}`,
      origin: 'other-channel',
      productCode: license.productCode,
      status: ended ? 'expired' : 'active',
      credits: ended ? 0 : license.credits,
      expiresAt: license.expiresAt,
      activatedAt: license.createdAt,
      reference: license.reference,
      ...(license.description ? { description: license.description } : {}),
      ...(license.orderId
        ? { orderId: license.orderId, lineNo: license.lineNo, service: license.service }
        : {}),
      items: [
        {
          itemNo: 1,
          origin: 'other-channel',
          credits: license.credits,
          createdAt: license.createdAt,
          expiresAt: license.expiresAt,
          state: ended ? 'ended' : 'active',
          ...(ended ? { endReason: 'expired' as const } : {}),
          ...(license.activationCode ? { activationCode: license.activationCode } : {}),
        },
      ],
    };
  });
  // Live licenses first, soonest end first; ended ones after, most recent end first.
  return [...fromContracts, ...fromDirect].sort((a, b) => {
    const liveA = a.credits > 0 ? 0 : 1;
    const liveB = b.credits > 0 ? 0 : 1;
    if (liveA !== liveB) return liveA - liveB;
    return liveA === 0 ? a.expiresAt.localeCompare(b.expiresAt) : b.expiresAt.localeCompare(a.expiresAt);
  });
}
