// The few parts of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module "autocannon" {
  export interface Options {
    url: string
    connections?: number
    duration?: number
    maxOverallRequests?: number
    timeout?: number
    headers?: Record<string, string>
  }

  export interface Histogram {
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
    total: number
  }

  export interface Result {
    url: string
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    "2xx": number
    "4xx": number
    "5xx": number
    statusCodeStats: Record<string, { count: number }>
    latency: Histogram
    requests: Histogram & { sent: number }
    throughput: Histogram
  }

  export interface Instance extends PromiseLike<Result> {
    stop(): void
  }

  export default function autocannon(options: Options): Instance
}
