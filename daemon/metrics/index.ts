// Prometheus metrics of a daemon: status counters, queue depths, delivery latency.
export { DaemonMetrics, type DaemonMetricsOptions, type MetricsSource } from './daemon-metrics.ts';
export { DeliveryLatency, type DeliveryLatencyOptions, type DeliveryLatencyProbe } from './latency.ts';
export { startMetricsServer, type MetricsServer } from './server.ts';
