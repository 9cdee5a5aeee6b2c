import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { INDEXES } from '../../lib/adapters/dynamodb/keys.js';
import { contractTableDefinition, TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb/table.js';

/**
 * Stateful resources, apart from compute so a compute redeploy can never replace them: the
 * single table with point-in-time recovery, deletion protection, retained on stack delete.
 */
export class DataStack extends Stack {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // The same definition the tests and the local stack create, translated to CDK.
    const definition = contractTableDefinition('unused');
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The outbox's way out (audit entries, notice claims, ledgers → the event publisher).
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      globalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map((gsi) => {
        const index = Object.values(INDEXES).find((i) => i.name === gsi.IndexName);
        if (!index) throw new Error(`No key names for index ${gsi.IndexName}`);
        return {
          indexName: index.name,
          partitionKey: { name: index.pk, type: AttributeType.STRING },
          sortKey: { name: index.sk, type: AttributeType.STRING },
          ...(gsi.Projection?.ProjectionType === 'INCLUDE'
            ? {
                projectionType: ProjectionType.INCLUDE,
                nonKeyAttributes: gsi.Projection.NonKeyAttributes ?? [],
              }
            : { projectionType: ProjectionType.ALL }),
        };
      }),
    });
  }
}
