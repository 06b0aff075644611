// CloudWatch alarms, their SNS topic and a dashboard for deployed stages (local stages
// get none). serverless.yml includes this through ${file(infra/monitoring.js)}; the HTTP
// routes are read from the functions it declares, so a new endpoint gets its alarms
// without a second list. When the stage creates its ElastiCache cluster (infra/redis.js,
// redisMode create), every node gets CPU, memory, connection and eviction alarms and the
// dashboard a Redis row. What each alarm means and what to do: README "Operations".
// test/e2e/deploy-config.test.ts checks the packaged template for them.
'use strict';

const redis = require('./redis');

/** Functions that run as jobs (schedules and the SQS consumer), by their serverless.yml name. */
const JOBS = ['admitWaitingUsers', 'releaseHold', 'sweepExpiredHolds'];
/** Tables whose throttled requests are alarmed, by logical id. */
const TABLES = ['ConcertsTable', 'SeatsTable', 'ReservationsTable', 'AccountsTable'];
/**
 * Business metrics the code counts (lib/observability.ts, namespace ConcertTicketing)
 * that must stay at zero: each occurrence means users were failed or a safety net ran.
 */
const MUST_STAY_ZERO = {
  DependencyFailures: 'A dependency (DynamoDB, SQS or Redis) failed or timed out and users got 503.',
  HoldReleaseScheduleFailed: 'A hold was placed but its release message could not be sent; only the sweep will free that seat.',
  ServerErrors: 'A request failed with an unexpected error (500).',
  JobFailures: 'A scheduled job or the release consumer failed.',
  AdmissionPassFailed: 'An admission pass failed: waiting users are not being admitted.',
};

/**
 * ElastiCache metrics alarmed on every node of a cluster the stage creates (infra/redis.js).
 * Node-based clusters publish them per node (dimension CacheClusterId: <group>-<shard>-<node>);
 * every node is alarmed, since a failover turns any replica into a primary.
 */
const REDIS_METRICS = [
  { metric: 'EngineCPUUtilization', id: 'EngineCpu', name: 'engine-cpu', stat: 'Average', param: 'alarmRedisEngineCpuPercent', what: 'the Redis engine thread used more than {t}% CPU in 3 of the last 5 minutes (queue scripts will slow down; add shards or a larger node type)', periods: 5, datapoints: 3 },
  { metric: 'DatabaseMemoryUsagePercentage', id: 'Memory', name: 'memory', stat: 'Maximum', param: 'alarmRedisMemoryPercent', what: 'Redis data used more than {t}% of the node\'s memory for 5 minutes (evictions or refused writes follow at 100%)', periods: 5, datapoints: 5 },
  { metric: 'CurrConnections', id: 'Connections', name: 'connections', stat: 'Maximum', param: 'alarmRedisConnections', what: 'more than {t} client connections for 3 minutes (each warm Lambda container holds about one per node)', periods: 3, datapoints: 3 },
  { metric: 'Evictions', id: 'Evictions', name: 'evictions', stat: 'Sum', threshold: 0, what: 'Redis evicted keys: it ran out of memory and dropped queue, claim or limit keys', periods: 1, datapoints: 1 },
];

const logicalName = (fnName) => fnName.charAt(0).toUpperCase() + fnName.slice(1);
/** "GET /v1/concerts/{concertId}/dates" -> "GetV1ConcertsConcertidDates" (for logical ids). */
const routeId = (method, path) =>
  [method, ...path.split(/[^A-Za-z0-9]+/)]
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('');

module.exports = async ({ resolveVariable, resolveConfigurationProperty }) => {
  const stageKind = await resolveVariable('self:custom.stageKind');
  if (stageKind === 'local') return {};
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const alarmEmail = await resolveVariable('param:alarmEmail');
  const errorRatePercent = Number(await resolveVariable('param:alarmErrorRatePercent'));
  const p99Ms = Number(await resolveVariable('param:alarmLatencyP99Ms'));
  const admissionSilentMinutes = Number(await resolveVariable('param:alarmAdmissionSilentMinutes'));

  const redisSettings = await redis.settings(resolveVariable);
  const redisNodes = redisSettings.mode === 'create' ? redis.nodeIds(redisSettings) : [];
  const redisThresholds = {};
  for (const m of REDIS_METRICS) redisThresholds[m.metric] = m.param ? Number(await resolveVariable(`param:${m.param}`)) : m.threshold;

  const declared = await resolveConfigurationProperty(['functions']);
  const functions = Object.assign({}, ...(Array.isArray(declared) ? declared : [declared]));
  const routes = Object.values(functions).flatMap((f) =>
    (f.events || []).filter((e) => e.httpApi).map((e) => ({ method: e.httpApi.method, path: e.httpApi.path })),
  );
  const prefix = `${service}-${stage}`;
  const topic = { Ref: 'AlarmTopic' };
  const appDimensions = [
    { Name: 'service', Value: service },
    { Name: 'stage', Value: stage },
  ];

  const alarm = (props) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      ActionsEnabled: true,
      AlarmActions: [topic],
      OKActions: [topic],
      TreatMissingData: 'notBreaching',
      ...props,
      AlarmName: `${prefix}-${props.AlarmName}`,
    },
  });
  const metric = (namespace, name, dimensions, stat, id, returnData = false) => ({
    Id: id,
    ReturnData: returnData,
    MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dimensions }, Period: 60, Stat: stat },
  });

  const resources = {
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${prefix}-alarms` } },
  };
  if (alarmEmail) {
    resources.AlarmEmailSubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: topic, Protocol: 'email', Endpoint: alarmEmail },
    };
  }

  // Per route: 5xx rate and p99 latency (API Gateway detailed metrics, switched on in
  // serverless.yml's HttpApiStage). The rate counts only minutes with 20+ requests, so a
  // single failure in a quiet minute does not page anyone; DependencyFailures does.
  for (const { method, path } of routes) {
    const id = routeId(method, path);
    const dims = [
      { Name: 'ApiId', Value: { Ref: 'HttpApi' } },
      { Name: 'Stage', Value: '$default' },
      { Name: 'Method', Value: method },
      { Name: 'Resource', Value: path },
    ];
    resources[`Route${id}ErrorRateAlarm`] = alarm({
      AlarmName: `5xx-rate ${method} ${path}`,
      AlarmDescription: `More than ${errorRatePercent}% of ${method} ${path} answered 5xx in 3 of the last 5 minutes.`,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: errorRatePercent,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      Metrics: [
        metric('AWS/ApiGateway', '5xx', dims, 'Sum', 'errors'),
        metric('AWS/ApiGateway', 'Count', dims, 'Sum', 'requests'),
        { Id: 'rate', Label: '5xx %', ReturnData: true, Expression: 'IF(requests >= 20, 100 * errors / requests, 0)' },
      ],
    });
    resources[`Route${id}LatencyAlarm`] = alarm({
      AlarmName: `p99 ${method} ${path}`,
      AlarmDescription: `p99 latency of ${method} ${path} above ${p99Ms} ms for 5 minutes.`,
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: dims,
      ExtendedStatistic: 'p99',
      Period: 60,
      EvaluationPeriods: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: p99Ms,
    });
  }

  for (const [name, description] of Object.entries(MUST_STAY_ZERO)) {
    resources[`${name}Alarm`] = alarm({
      AlarmName: name,
      AlarmDescription: description,
      Namespace: 'ConcertTicketing',
      MetricName: name,
      Dimensions: appDimensions,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  }

  resources.HoldReleaseDeadLetterAlarm = alarm({
    AlarmName: 'hold-release-dead-letters',
    AlarmDescription: 'Release messages failed 5 times and went to the dead-letter queue; the sweep frees those seats, but the consumer is failing.',
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['HoldReleaseDeadLetterQueue', 'QueueName'] } }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0,
  });

  resources.HoldReleaseBacklogAlarm = alarm({
    AlarmName: 'hold-release-backlog',
    AlarmDescription: 'Due release messages have waited more than 2 minutes: the consumer is not keeping up (holds are freed late).',
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateAgeOfOldestMessage',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['HoldReleaseQueue', 'QueueName'] } }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 3,
    ComparisonOperator: 'GreaterThanThreshold',
    // Messages are delayed by the hold length (at most 15 minutes, SQS's limit) before they are due.
    Threshold: 15 * 60 + 120,
  });

  for (const job of JOBS) {
    const fnName = `${prefix}-${job}`;
    const dims = [{ Name: 'FunctionName', Value: fnName }];
    for (const [kind, what] of [
      ['Errors', 'failed'],
      ['Throttles', 'was throttled'],
    ]) {
      resources[`${logicalName(job)}${kind}Alarm`] = alarm({
        AlarmName: `${job}-${kind.toLowerCase()}`,
        AlarmDescription: `The ${job} job ${what}.`,
        Namespace: 'AWS/Lambda',
        MetricName: kind,
        Dimensions: dims,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
  }

  // The admission loop is started every minute; no start for a few minutes means nobody
  // waiting is admitted. Missing data is the failure here, so it counts as breaching.
  resources.AdmissionSilentAlarm = alarm({
    AlarmName: 'admission-silent',
    AlarmDescription: `The admission loop has not started for ${admissionSilentMinutes} minutes: waiting users are not admitted.`,
    Namespace: 'AWS/Lambda',
    MetricName: 'Invocations',
    Dimensions: [{ Name: 'FunctionName', Value: `${prefix}-admitWaitingUsers` }],
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: admissionSilentMinutes,
    ComparisonOperator: 'LessThanThreshold',
    Threshold: 1,
    TreatMissingData: 'breaching',
  });

  for (const table of TABLES) {
    const dims = [{ Name: 'TableName', Value: { Ref: table } }];
    resources[`${table}ThrottleAlarm`] = alarm({
      AlarmName: `${table}-throttled`,
      AlarmDescription: `DynamoDB throttled reads or writes of ${table} (a hot partition, or on-demand scaling behind a burst).`,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      Metrics: [
        metric('AWS/DynamoDB', 'ReadThrottleEvents', dims, 'Sum', 'reads'),
        metric('AWS/DynamoDB', 'WriteThrottleEvents', dims, 'Sum', 'writes'),
        { Id: 'throttled', Label: 'throttled requests', ReturnData: true, Expression: 'reads + writes' },
      ],
    });
  }

  // The ElastiCache cluster's nodes (only when this stage creates it).
  for (const node of redisNodes) {
    const nodeId = node.slice(redisSettings.replicationGroupId.length + 1).replace(/-/g, '');
    for (const m of REDIS_METRICS) {
      const threshold = redisThresholds[m.metric];
      resources[`RedisNode${nodeId}${m.id}Alarm`] = alarm({
        AlarmName: `redis-${m.name} ${node}`,
        AlarmDescription: `${node}: ${m.what.replace('{t}', threshold)}.`,
        Namespace: 'AWS/ElastiCache',
        MetricName: m.metric,
        Dimensions: [{ Name: 'CacheClusterId', Value: node }],
        Statistic: m.stat,
        Period: 60,
        EvaluationPeriods: m.periods,
        DatapointsToAlarm: m.datapoints,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: threshold,
      });
    }
  }

  resources.OperationsDashboard = { Type: 'AWS::CloudWatch::Dashboard', Properties: dashboard(prefix, service, stage, routes, redisNodes) };
  return resources;
};

/** The dashboard body: a JSON string with ${...} references Fn::Sub fills in. */
function dashboard(prefix, service, stage, routes, redisNodes) {
  const app = (name) => ['ConcertTicketing', name, 'service', service, 'stage', stage];
  const route = (name, { method, path }) => ['AWS/ApiGateway', name, 'ApiId', '${HttpApi}', 'Stage', '$default', 'Method', method, 'Resource', path];
  const widget = (title, metrics, extra = {}) => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', period: 60, stat: 'Sum', view: 'timeSeries', metrics, ...extra },
  });
  const search = (metricName, stat) => [
    { expression: `SEARCH('{ConcertTicketing,concertId,service,stage} MetricName="${metricName}" stage="${stage}"', '${stat}', 60)`, id: metricName.toLowerCase() },
  ];
  const widgets = [
    widget('Waiting per concert', [search('QueueWaiting', 'Maximum')]),
    widget('Active per concert', [search('QueueActive', 'Maximum')]),
    widget('Queue entries and admissions', [app('QueueEntered'), app('QueueAdmitted'), app('QueueAbandoned')]),
    widget('Holds', [app('HoldsPlaced'), app('HoldsRejected'), app('HoldsRejectedByClaim'), app('HoldsReleased')]),
    widget('Payments and top-ups', [app('PaymentsSucceeded'), app('PaymentsFailed'), app('ChargesApplied')]),
    widget('Failures (alarmed at > 0)', Object.keys(MUST_STAY_ZERO).map(app)),
    widget('5xx per route', routes.map((r) => route('5xx', r))),
    widget('p99 latency per route (ms)', routes.map((r) => route('Latency', r)), { stat: 'p99' }),
    widget('Requests per route', routes.map((r) => route('Count', r))),
    widget('Hold release queue', [
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${prefix}-hold-release-dlq`, { label: 'dead letters' }],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', `${prefix}-hold-release`, { label: 'oldest message (s)', yAxis: 'right' }],
    ], { stat: 'Maximum' }),
    widget('Jobs', JOBS.flatMap((job) => [
      ['AWS/Lambda', 'Errors', 'FunctionName', `${prefix}-${job}`],
      ['AWS/Lambda', 'Throttles', 'FunctionName', `${prefix}-${job}`],
      ['AWS/Lambda', 'Invocations', 'FunctionName', `${prefix}-${job}`],
    ])),
    widget('DynamoDB throttled requests', TABLES.flatMap((t) => [
      ['AWS/DynamoDB', 'ReadThrottleEvents', 'TableName', `\${${t}}`],
      ['AWS/DynamoDB', 'WriteThrottleEvents', 'TableName', `\${${t}}`],
    ])),
  ];
  if (redisNodes.length > 0) {
    const nodes = (metric, extra) => redisNodes.map((node) => ['AWS/ElastiCache', metric, 'CacheClusterId', node, ...(extra ? [extra] : [])]);
    widgets.push(
      widget('Redis engine CPU per node (%)', nodes('EngineCPUUtilization'), { stat: 'Maximum' }),
      widget('Redis memory used per node (%)', nodes('DatabaseMemoryUsagePercentage'), { stat: 'Maximum' }),
      widget('Redis connections per node', nodes('CurrConnections'), { stat: 'Maximum' }),
      // The queue, claims and limits run as Lua scripts (EVALSHA).
      widget('Redis evictions and script calls per node', [...nodes('Evictions'), ...nodes('EvalBasedCmds', { yAxis: 'right' })]),
    );
  }
  return { DashboardName: `${prefix}-operations`, DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) } };
}
