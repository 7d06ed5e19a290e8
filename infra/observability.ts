// Where the service's logs go (with a retention, so they do not pile up forever) and the two
// alarms that say users are affected: 5xx responses and a slow p99.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface ObservabilityArgs {
  logRetentionDays: number;
  /** The ALB's ARN suffix, the `LoadBalancer` dimension of its metrics. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** 5xx responses per minute that raise the alarm. */
  errorsPerMinute?: number;
  /** p99 target response time, seconds, that raises the alarm. */
  p99Seconds?: number;
  /** SNS topics notified on alarm; none: the alarms show in the console only. */
  alarmActions?: pulumi.Input<string>[];
  tags?: Record<string, string>;
}

export class Observability extends pulumi.ComponentResource {
  readonly logGroupName: pulumi.Output<string>;
  readonly logGroupArn: pulumi.Output<string>;
  readonly alarmArns: pulumi.Output<string>[];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:observability:Observability", name, {}, opts);
    const parent = { parent: this };
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-service`,
      { name: `/inference-blueprint/${name}`, retentionInDays: args.logRetentionDays, tags: args.tags },
      parent,
    );
    const dimensions = { LoadBalancer: args.loadBalancerArnSuffix };
    const common = {
      namespace: "AWS/ApplicationELB",
      dimensions,
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: "GreaterThanThreshold",
      // No traffic is not an outage of the service.
      treatMissingData: "notBreaching",
      alarmActions: args.alarmActions ?? [],
      okActions: args.alarmActions ?? [],
      tags: args.tags,
    };
    const errorsPerMinute = args.errorsPerMinute ?? 5;
    const elb5xx = new aws.cloudwatch.MetricAlarm(
      `${name}-alb-5xx`,
      {
        ...common,
        alarmDescription: "The ALB answered 5xx itself (no healthy target, timeouts)",
        metricName: "HTTPCode_ELB_5XX_Count",
        statistic: "Sum",
        threshold: errorsPerMinute,
      },
      parent,
    );
    const target5xx = new aws.cloudwatch.MetricAlarm(
      `${name}-target-5xx`,
      {
        ...common,
        alarmDescription: "The service answered 5xx",
        metricName: "HTTPCode_Target_5XX_Count",
        statistic: "Sum",
        threshold: errorsPerMinute,
      },
      parent,
    );
    const p99 = new aws.cloudwatch.MetricAlarm(
      `${name}-p99`,
      {
        ...common,
        alarmDescription: "p99 target response time is high",
        metricName: "TargetResponseTime",
        extendedStatistic: "p99",
        threshold: args.p99Seconds ?? 0.25,
      },
      parent,
    );
    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.alarmArns = [elb5xx.arn, target5xx.arn, p99.arn];
    this.registerOutputs({ logGroupName: this.logGroupName });
  }
}
