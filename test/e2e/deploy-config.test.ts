/**
 * The deployable configuration: the development-token endpoint exists only on local
 * stages, every endpoint of the contract is declared, and the prod package (built
 * offline with fake credentials, as CI does) is locked down: per-function least-privilege
 * roles, secrets read from SSM, API Gateway throttling and reserved concurrency for jobs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printService } from '../../infra/local/resources';
import { projectDir } from '../../infra/local/stack';
import { api } from '../support/api';
import { CREATION_LEASE_SECONDS } from '../../lib/booking/catalog';

const routes = (functions: Record<string, any>) =>
  Object.values(functions).flatMap((f) => (f.events ?? []).filter((e: any) => e.httpApi).map((e: any) => `${e.httpApi.method} ${e.httpApi.path}`));

/** An environment with nothing of this machine's stack in it (what CI packages with). */
const cleanEnv = () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, AWS_ACCESS_KEY_ID: 'fake', AWS_SECRET_ACCESS_KEY: 'fake', AWS_REGION: 'us-east-1' };
};

describe('stage configuration', () => {
  it('declares no development-token endpoint outside local stages', async () => {
    const prod = await printService(projectDir, 'prod', { ...process.env, JWT_SECRET: '' });
    expect(Object.keys(prod.functions)).not.toContain('devTokens');
    expect(routes(prod.functions).filter((r) => r.includes('/dev/'))).toEqual([]);
    expect(prod.environment.JWT_SECRET).toBe('');
    expect(prod.environment.DYNAMODB_ENDPOINT).toBe('');
  });

  it('declares alarms and a dashboard on deployed stages only', async () => {
    const types = (service: any) => Object.values(service.resources as Record<string, any>).map((r) => r.Type);
    const local = await printService(projectDir, 'local');
    expect(types(local)).not.toContain('AWS::CloudWatch::Alarm');
    // Nor a VPC or ElastiCache: local stages use the embedded (or LocalStack's) Redis.
    expect(types(local).filter((t) => /^AWS::(EC2|ElastiCache)::/.test(t))).toEqual([]);
    // Nor a bucket, distribution or user pool: npm start serves the web app itself.
    expect(types(local).filter((t) => /^AWS::(S3|CloudFront|Cognito)::/.test(t))).toEqual([]);
    expect(Object.values(Object.assign({}, ...[local.functions].flat()) as Record<string, any>).filter((f) => f.vpc)).toEqual([]);
    expect(types(await printService(projectDir, 'prod', cleanEnv()))).toEqual(expect.arrayContaining(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::SNS::Topic']));
  });

  it('uses an existing Redis cluster with redisMode existing: creates no Redis, VPC or endpoints, and runs the same functions in the given subnets', async () => {
    const existing = {
      redisMode: 'existing',
      redisExistingEndpoint: 'clustercfg.tickets.example.cache.amazonaws.com:6379',
      redisCluster: 'true',
      existingVpcSubnetIds: 'subnet-0a,subnet-0b',
      existingSecurityGroupIds: 'sg-0c',
    };
    const prod = await printService(projectDir, 'prod', cleanEnv(), existing);
    const types = Object.values(prod.resources).map((r) => r.Type);
    expect(types.filter((t) => /^AWS::(EC2|ElastiCache)::/.test(t))).toEqual([]);
    expect(prod.environment.REDIS_URL).toBe('rediss://clustercfg.tickets.example.cache.amazonaws.com:6379');
    expect(prod.environment.REDIS_CLUSTER).toBe('true');
    const fns = Object.entries(prod.functions as Record<string, any>);
    // The same functions as in the created VPC (below): all but those that send no Redis command.
    expect(fns.filter(([, f]) => !f.vpc).map(([name]) => name).sort()).toEqual(['balanceGet', 'balanceHistory', 'concertsList', 'openapiDocument', 'paymentList', 'reservationGet']);
    for (const [, f] of fns.filter(([, f]) => f.vpc)) expect(f.vpc).toEqual({ subnetIds: ['subnet-0a', 'subnet-0b'], securityGroupIds: ['sg-0c'] });
    // Without the subnets and security groups the functions would reach no Redis: refused.
    const { existingSecurityGroupIds: _omitted, ...withoutGroups } = existing;
    await expect(printService(projectDir, 'prod', cleanEnv(), withoutGroups)).rejects.toThrow(/needs params existingVpcSubnetIds and existingSecurityGroupIds/);
  });

  it('takes the JWT settings and the Redis password from SSM on prod, never from plain environment variables', async () => {
    // Even with the values in the deploying shell, prod passes parameter names only.
    const prod = await printService(projectDir, 'prod', { ...cleanEnv(), JWT_ISSUER: 'https://leaked.example.com', JWT_AUDIENCE: 'x', JWT_JWKS_URL: 'https://leaked.example.com/jwks' });
    const env = prod.environment;
    expect(env.JWT_SETTINGS_PARAMETER).toBe('/concert-ticketing/prod/jwt');
    expect(env.REDIS_PASSWORD_PARAMETER).toBe('/concert-ticketing/prod/redis-password');
    expect([env.JWT_ISSUER, env.JWT_AUDIENCE, env.JWT_JWKS_URL, env.JWT_CLIENT_IDS, env.JWT_SECRET]).toEqual(['', '', '', '', '']);
    expect(env).not.toHaveProperty('REDIS_PASSWORD');
  });

  it('declares every endpoint of the contract, and dev tokens only on the local stage', async () => {
    const local = await printService(projectDir, 'local');
    const expected = [
      'POST /v1/queue/tokens',
      'GET /v1/queue/status',
      'DELETE /v1/queue/tokens/current',
      'GET /v1/concerts',
      'GET /v1/concerts/{concertId}/dates',
      'GET /v1/concerts/{concertId}/dates/{date}/seats',
      'POST /v1/reservations',
      'GET /v1/reservations/{reservationId}',
      'DELETE /v1/reservations/{reservationId}',
      'GET /v1/balance',
      'POST /v1/balance/charges',
      'GET /v1/balance/history',
      'POST /v1/payments',
      'GET /v1/payments',
      'POST /v1/admin/concerts',
      'GET /v1/admin/concerts/{concertId}/queue',
      'PATCH /v1/admin/concerts/{concertId}/queue',
      'POST /v1/dev/tokens',
      'GET /v1/openapi.json',
    ];
    expect(routes(local.functions)).toEqual(expect.arrayContaining(expected));
  });

  it('gives every HTTP function the method and path its route declares', async () => {
    const local = await printService(projectDir, 'local');
    const declared = Object.values(local.functions as Record<string, any>).filter((f) => f.events?.some((e: any) => e.httpApi));
    expect(declared.length).toBeGreaterThan(15);
    for (const f of declared) {
      const file = String(f.handler).replace(/\.handler$/, '');
      const { route } = await import(`../../${file}`);
      const event = f.events.find((e: any) => e.httpApi).httpApi;
      expect({ file, ...route.endpoint }).toEqual({ file, method: event.method, path: event.path });
    }
  });

  it('serves no route that is not declared', async () => {
    expect((await api('GET', '/v1/nope')).status).toBe(404);
  });
});

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** `serverless package --stage prod` into a temporary folder; the CloudFormation template it wrote. */
function packageProd(): Promise<{ Resources: Record<string, any> }> {
  const out = mkdtempSync(join(tmpdir(), 'sls-package-'));
  return new Promise((resolve, reject) => {
    const bin = require.resolve('serverless/bin/serverless.js', { paths: [projectDir] });
    const child = spawn(process.execPath, [bin, 'package', '--stage', 'prod', '--package', out], {
      cwd: projectDir,
      env: { ...cleanEnv(), ESBUILD_WORK_FOLDER: '.esbuild-package', SLS_TELEMETRY_DISABLED: '1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) return reject(new Error(`serverless package failed (${code}):\n${log}`));
        resolve(JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

describe('the packaged prod stack', () => {
  let resources: Record<string, any>;
  /** Function name (as in serverless.yml) -> the statements of the role it runs with. */
  const roles: Record<string, Statement[]> = {};

  beforeAll(async () => {
    resources = (await packageProd()).Resources;
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const name = id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const roleId = r.Properties.Role['Fn::GetAtt'][0];
      roles[name] = resources[roleId].Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      (roles[name] as any).roleId = roleId;
    }
  }, 180_000);

  const actions = (fn: string) => roles[fn]!.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  const tableWrites = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|\*)$/;
  const allFunctions = () => Object.keys(roles);

  it('runs every function with a role of its own', () => {
    expect(allFunctions().length).toBeGreaterThan(18);
    const roleIds = allFunctions().map((f) => (roles[f] as any).roleId);
    expect(new Set(roleIds).size).toBe(roleIds.length);
    expect(roleIds).not.toContain('IamRoleLambdaExecution');
  });

  it('lets the public concert list, health and the API document write no table and touch no queue', () => {
    for (const fn of ['health', 'concertsList', 'openapiDocument']) {
      expect(actions(fn).filter((a) => tableWrites.test(a) || ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'].includes(a))).toEqual([]);
    }
    expect(actions('openapiDocument').filter((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:'))).toEqual([]);
    expect(actions('concertsList').filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Scan']);
    // Readiness reads metadata only: no item of any table, no message.
    expect(actions('health').filter((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:')).sort()).toEqual(['dynamodb:DescribeTable', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
  });

  it('lets only the hold and the release consumer send to the release queue, and only the consumer receive', () => {
    const senders = allFunctions().filter((f) => actions(f).includes('sqs:SendMessage'));
    expect(senders.sort()).toEqual(['releaseHold', 'reservationHold']);
    const receivers = allFunctions().filter((f) => actions(f).some((a) => ['sqs:ReceiveMessage', 'sqs:DeleteMessage'].includes(a)));
    expect(receivers).toEqual(['releaseHold']);
  });

  it('grants no wildcard action or resource, and DynamoDB writes only where the code writes', () => {
    for (const fn of allFunctions()) {
      for (const s of roles[fn]!) {
        const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
        expect(acts.filter((a) => a.includes('*'))).toEqual([]);
        expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
      }
    }
    const writers = allFunctions().filter((f) => actions(f).some((a) => tableWrites.test(a)));
    expect(writers.sort()).toEqual(['adminChangeSale', 'adminCreateConcert', 'balanceCharge', 'paymentCreate', 'releaseHold', 'reservationHold', 'reservationRelease', 'sweepExpiredHolds']);
  });

  it('gives concert creation a timeout below its creation lease, and batch seat writes to it alone', () => {
    // A retry takes an interrupted creation over only after the lease, when the attempt
    // it replaces has surely been stopped by its timeout (lib/booking/catalog.ts).
    expect(resources.AdminCreateConcertLambdaFunction.Properties.Timeout).toBeLessThan(CREATION_LEASE_SECONDS);
    expect(allFunctions().filter((f) => actions(f).includes('dynamodb:BatchWriteItem'))).toEqual(['adminCreateConcert']);
  });

  it('lets every function read exactly the two secret parameters, and no other', () => {
    for (const fn of allFunctions()) {
      const ssm = roles[fn]!.filter((s) => JSON.stringify(s.Action).includes('ssm:'));
      expect(ssm).toHaveLength(1);
      expect([...(ssm[0]!.Action as string[])].sort()).toEqual(['ssm:GetParameter', 'ssm:GetParameters']);
      const arns = (ssm[0]!.Resource as any[]).map((r) => r['Fn::Join'][1].at(-1));
      expect(arns.sort()).toEqual(['/concert-ticketing/prod/jwt', '/concert-ticketing/prod/redis-password']);
    }
  });

  it('throttles the HTTP API stage, tighter for queue entry and status', () => {
    const stage = resources.HttpApiStage.Properties;
    const def = stage.DefaultRouteSettings;
    expect(def.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(def.ThrottlingBurstLimit).toBeGreaterThan(0);
    for (const route of ['POST /v1/queue/tokens', 'GET /v1/queue/status']) {
      expect(stage.RouteSettings[route].ThrottlingRateLimit).toBeLessThan(def.ThrottlingRateLimit);
      expect(stage.RouteSettings[route].ThrottlingBurstLimit).toBeGreaterThan(0);
    }
    // Route settings name routes that must exist first.
    expect(resources.HttpApiStage.DependsOn).toEqual(expect.arrayContaining(['HttpApiRoutePostV1QueueTokens', 'HttpApiRouteGetV1QueueStatus']));
    expect(resources.HttpApiRoutePostV1QueueTokens.Properties.RouteKey).toBe('POST /v1/queue/tokens');
    expect(resources.HttpApiRouteGetV1QueueStatus.Properties.RouteKey).toBe('GET /v1/queue/status');
  });

  describe('alarms and dashboard (infra/monitoring.js)', () => {
    const alarms = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm') as [string, any][];
    /** The metrics an alarm watches, as "Namespace MetricName" (plain or metric-math alarms). */
    const watched = (a: any) =>
      a.Properties.MetricName
        ? [`${a.Properties.Namespace} ${a.Properties.MetricName}`]
        : a.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => `${m.MetricStat.Metric.Namespace} ${m.MetricStat.Metric.MetricName}`);
    const dims = (a: any) =>
      Object.fromEntries((a.Properties.Dimensions ?? a.Properties.Metrics.find((m: any) => m.MetricStat).MetricStat.Metric.Dimensions).map((d: any) => [d.Name, d.Value]));
    const alarmsOn = (metric: string) => alarms().filter(([, a]) => watched(a).includes(metric));

    it('sends every alarm and its recovery to the stage alarm topic', () => {
      expect(alarms().length).toBeGreaterThan(40);
      for (const [, a] of alarms()) {
        expect(a.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(a.Properties.OKActions).toEqual([{ Ref: 'AlarmTopic' }]);
        expect(a.Properties.AlarmName).toMatch(/^concert-ticketing-prod-/);
      }
      expect(resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
    });

    it('watches the 5xx rate and p99 latency of every HTTP route, with per-route metrics switched on', () => {
      expect(resources.HttpApiStage.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBe(true);
      const routeKeys = Object.values(resources).filter((r: any) => r.Type === 'AWS::ApiGatewayV2::Route').map((r: any) => r.Properties.RouteKey);
      expect(routeKeys.length).toBeGreaterThan(18);
      const key = (a: any) => `${dims(a).Method} ${dims(a).Resource}`;
      const rate = alarmsOn('AWS/ApiGateway 5xx').map(([, a]) => a);
      const p99 = alarmsOn('AWS/ApiGateway Latency').map(([, a]) => a);
      expect(rate.map(key).sort()).toEqual([...routeKeys].sort());
      expect(p99.map(key).sort()).toEqual([...routeKeys].sort());
      for (const a of rate) {
        expect(dims(a).ApiId).toEqual({ Ref: 'HttpApi' });
        expect(a.Properties.Metrics.find((m: any) => m.ReturnData).Expression).toMatch(/errors \/ requests/);
      }
      for (const a of p99) expect(a.Properties.ExtendedStatistic).toBe('p99');
    });

    it('pages on the failures the code counts, dead letters and a silent admission loop', () => {
      for (const name of ['DependencyFailures', 'HoldReleaseScheduleFailed', 'ServerErrors', 'JobFailures', 'AdmissionPassFailed']) {
        const [found] = alarmsOn(`ConcertTicketing ${name}`);
        expect(found?.[1].Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
        // The dimensions the code publishes with (lib/observability.ts: service and stage).
        expect(dims(found![1])).toEqual({ service: 'concert-ticketing', stage: 'prod' });
      }
      const [dlq] = alarmsOn('AWS/SQS ApproximateNumberOfMessagesVisible');
      expect(dims(dlq![1]).QueueName).toEqual({ 'Fn::GetAtt': ['HoldReleaseDeadLetterQueue', 'QueueName'] });
      const silent = alarmsOn('AWS/Lambda Invocations').map(([, a]) => a);
      expect(silent).toHaveLength(1);
      expect(silent[0].Properties).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'LessThanThreshold', Threshold: 1 });
      expect(dims(silent[0]).FunctionName).toBe(resources.AdmitWaitingUsersLambdaFunction.Properties.FunctionName);
    });

    it('watches errors and throttles of every job and throttled requests of every table', () => {
      const jobs = ['AdmitWaitingUsersLambdaFunction', 'ReleaseHoldLambdaFunction', 'SweepExpiredHoldsLambdaFunction'].map((id) => resources[id].Properties.FunctionName);
      for (const metric of ['AWS/Lambda Errors', 'AWS/Lambda Throttles']) {
        expect(alarmsOn(metric).map(([, a]) => dims(a).FunctionName).sort()).toEqual([...jobs].sort());
      }
      const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').map(([id]) => ({ Ref: id }));
      const throttled = alarmsOn('AWS/DynamoDB WriteThrottleEvents').map(([, a]) => dims(a).TableName);
      expect(throttled).toEqual(expect.arrayContaining(tables));
      expect(throttled).toHaveLength(tables.length);
      for (const [, a] of alarmsOn('AWS/DynamoDB WriteThrottleEvents')) expect(watched(a)).toContain('AWS/DynamoDB ReadThrottleEvents');
    });

    it('declares a dashboard of the queue, holds, payments, routes, jobs and tables', () => {
      const body = resources.OperationsDashboard.Properties.DashboardBody['Fn::Sub'];
      const widgets = JSON.parse(body).widgets.map((w: any) => w.properties.title);
      expect(widgets).toEqual(expect.arrayContaining(['Waiting per concert', 'Active per concert', 'Holds', '5xx per route', 'p99 latency per route (ms)', 'Hold release queue', 'DynamoDB throttled requests']));
      // Only references Fn::Sub can resolve: resources of this template and pseudo parameters.
      const refs = [...body.matchAll(/\$\{([^}]+)\}/g)].map((m: RegExpMatchArray) => m[1]!);
      for (const ref of refs) expect(ref.startsWith('AWS::') || ref in resources).toBe(true);
    });
  });

  describe('ElastiCache and its VPC (infra/redis.js)', () => {
    const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type) as [string, any][];
    const clientGroup = { 'Fn::GetAtt': ['RedisClientSecurityGroup', 'GroupId'] };

    it('creates a cluster-mode group, Multi-AZ with a replica per shard, encrypted in transit and at rest, AUTH token from SSM', () => {
      const groups = ofType('AWS::ElastiCache::ReplicationGroup');
      expect(groups).toHaveLength(1);
      const [, group] = groups[0]!;
      expect(group.Properties).toMatchObject({
        ClusterMode: 'enabled',
        MultiAZEnabled: true,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        AuthToken: '{{resolve:ssm-secure:/concert-ticketing/prod/redis-password}}',
      });
      expect(group.Properties.ReplicasPerNodeGroup).toBeGreaterThanOrEqual(1);
      expect(['valkey', 'redis']).toContain(group.Properties.Engine);
      expect(Number(String(group.Properties.EngineVersion).split('.')[0])).toBeGreaterThanOrEqual(7);
      expect(group.Properties.CacheParameterGroupName).toMatch(/\.cluster\.on$/);
      expect(group.DeletionPolicy).toBe('Snapshot');
      // The subnet group spans two Availability Zones.
      const subnets = resources[group.Properties.CacheSubnetGroupName.Ref].Properties.SubnetIds.map((s: any) => resources[s.Ref].Properties.AvailabilityZone);
      expect(subnets.map((az: any) => az['Fn::Select'][0]).sort()).toEqual([0, 1]);
    });

    it('runs exactly the functions that use Redis in the VPC, and points them at the cluster over TLS', () => {
      const functions = ofType('AWS::Lambda::Function');
      const inVpc = functions.filter(([, f]) => f.Properties.VpcConfig).map(([id]) => id);
      const outside = functions.filter(([, f]) => !f.Properties.VpcConfig).map(([id]) => id);
      // test/integration/outside-vpc.test.ts proves these send no Redis command.
      expect(outside.sort()).toEqual(['BalanceGet', 'BalanceHistory', 'ConcertsList', 'OpenapiDocument', 'PaymentList', 'ReservationGet'].map((n) => `${n}LambdaFunction`));
      expect(inVpc).toEqual(expect.arrayContaining(['QueueEnterLambdaFunction', 'QueueStatusLambdaFunction', 'ReservationHoldLambdaFunction', 'PaymentCreateLambdaFunction', 'AdmitWaitingUsersLambdaFunction', 'ReleaseHoldLambdaFunction', 'SweepExpiredHoldsLambdaFunction', 'HealthLambdaFunction']));
      for (const [, f] of functions) {
        const env = f.Properties.Environment.Variables;
        expect(env.REDIS_CLUSTER).toBe('true');
        // No NAT gateway: a cold start refuses a JWKS URL it could not fetch (lib/config.ts).
        expect(env.VPC_EGRESS).toBe('none');
        expect(env.REDIS_URL['Fn::Join'][1][0]).toBe('rediss://');
        if (!f.Properties.VpcConfig) continue;
        expect(f.Properties.VpcConfig.SecurityGroupIds).toEqual([clientGroup]);
        expect(f.Properties.VpcConfig.SubnetIds).toEqual([{ Ref: 'PrivateSubnet1' }, { Ref: 'PrivateSubnet2' }]);
      }
    });

    it('opens 6379 only from the functions, and reaches DynamoDB, SQS and SSM through endpoints, with no NAT gateway', () => {
      const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      expect(ingress).toEqual([expect.objectContaining({ GroupId: { 'Fn::GetAtt': ['RedisSecurityGroup', 'GroupId'] }, FromPort: 6379, ToPort: 6379, SourceSecurityGroupId: clientGroup })]);
      expect(resources.RedisSecurityGroup.Properties.SecurityGroupIngress).toBeUndefined();
      const endpoints = ofType('AWS::EC2::VPCEndpoint').map(([, r]) => [r.Properties.ServiceName['Fn::Sub'].split('.').at(-1), r.Properties.VpcEndpointType]);
      expect(endpoints.sort()).toEqual([['dynamodb', 'Gateway'], ['sqs', 'Interface'], ['ssm', 'Interface']]);
      expect(ofType('AWS::EC2::NatGateway')).toEqual([]);
      expect(ofType('AWS::EC2::InternetGateway')).toEqual([]);
    });

    it('alarms on engine CPU and memory of every node, with a Redis row on the dashboard', () => {
      const group = resources.RedisReplicationGroup.Properties;
      const nodes = group.NumNodeGroups * (group.ReplicasPerNodeGroup + 1);
      const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties).filter((a) => a.Namespace === 'AWS/ElastiCache');
      for (const metric of ['EngineCPUUtilization', 'DatabaseMemoryUsagePercentage']) {
        const on = alarms.filter((a) => a.MetricName === metric);
        expect(on).toHaveLength(nodes);
        const ids = on.map((a) => a.Dimensions.find((d: any) => d.Name === 'CacheClusterId').Value);
        expect(new Set(ids).size).toBe(nodes);
        for (const id of ids) expect(id).toMatch(new RegExp(`^${group.ReplicationGroupId}-\\d{4}-\\d{3}$`));
      }
      const body = JSON.parse(resources.OperationsDashboard.Properties.DashboardBody['Fn::Sub']);
      expect(body.widgets.map((w: any) => w.properties.title)).toEqual(expect.arrayContaining(['Redis engine CPU per node (%)', 'Redis memory used per node (%)']));
    });
  });

  describe('the web app: S3 behind CloudFront and the Cognito sign-in (infra/web.js)', () => {
    const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type) as [string, any][];

    it('keeps the bucket private and encrypted, readable only by this distribution and only over TLS', () => {
      const bucket = resources.WebBucket.Properties;
      expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(bucket.WebsiteConfiguration).toBeUndefined();
      const statements = resources.WebBucketPolicy.Properties.PolicyDocument.Statement;
      const allows = statements.filter((s: any) => s.Effect === 'Allow');
      expect(allows).toEqual([
        expect.objectContaining({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Sub': expect.stringContaining('distribution/${WebDistribution}') } } } }),
      ]);
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    });

    it('serves it over HTTPS only through an origin access control, with security headers and the route rewrite', () => {
      const config = resources.WebDistribution.Properties.DistributionConfig;
      expect(config.Origins).toHaveLength(1);
      expect(config.Origins[0]).toMatchObject({ OriginAccessControlId: { 'Fn::GetAtt': ['WebOriginAccessControl', 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
      expect(resources.WebOriginAccessControl.Properties.OriginAccessControlConfig).toMatchObject({ SigningBehavior: 'always', SigningProtocol: 'sigv4' });
      expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'], ResponseHeadersPolicyId: expect.any(String) });
      expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['WebRewriteFunction', 'FunctionMetadata.FunctionARN'] } }]);
      // The rewrite (tested as CloudFront runs it in test/integration/deploy-web.test.ts), not error pages that would turn a missing asset into index.html.
      expect(config.CustomErrorResponses).toBeUndefined();
    });

    it('gives the web app a public Cognito client for the code flow, calling back only to the distribution', () => {
      const clients = ofType('AWS::Cognito::UserPoolClient');
      expect(clients).toHaveLength(1);
      const client = clients[0]![1];
      expect(client.Properties).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        SupportedIdentityProviders: ['COGNITO'],
        CallbackURLs: [{ 'Fn::Sub': 'https://${WebDistribution.DomainName}/auth/callback' }],
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: 'ENABLED',
      });
      expect(client.Properties.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
      expect(resources.UserPoolAdminGroup.Properties.GroupName).toBe('admin');
      expect(resources.UserPoolDomain.Properties.UserPoolId).toEqual({ Ref: 'UserPool' });
    });
  });

  it('reserves concurrency for the release consumer, admission and sweep, and caps the SQS poller within it', () => {
    const reserved = (id: string) => resources[id].Properties.ReservedConcurrentExecutions;
    for (const id of ['ReleaseHoldLambdaFunction', 'AdmitWaitingUsersLambdaFunction', 'SweepExpiredHoldsLambdaFunction']) expect(reserved(id)).toBeGreaterThan(0);
    // The public readiness check runs in the VPC and opens Redis connections: a small cap.
    expect(reserved('HealthLambdaFunction')).toBeGreaterThan(0);
    expect(reserved('HealthLambdaFunction')).toBeLessThanOrEqual(10);
    const mapping = Object.values(resources).find((r: any) => r.Type === 'AWS::Lambda::EventSourceMapping') as any;
    expect(mapping.Properties.ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(reserved('ReleaseHoldLambdaFunction'));
  });
});
