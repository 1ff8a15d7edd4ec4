/** The file `limitprobe init` writes: every common field, commented, valid as it stands. */
export const STARTER_SCENARIO = `# yaml-language-server: $schema=./node_modules/limitprobe/scenario.schema.json
# A limitprobe scenario. Run it:  limitprobe run THIS_FILE   (check it: limitprobe validate THIS_FILE)
name: my-scenario
seed: 1                        # same seed + scenario => same requests, same schedule

# Where requests go. The embedded mock emulates a provider's limits and 429s exactly:
target:
  kind: mock
  profile: qwen2               # 800 requests/min, 800,000 tokens/min
  model: qwen2-7b-instruct
  # limits: { rpm: 800, tpm: 800000, contextWindow: 131072 }
  # latency: { ttftMs: 300, tokensPerSecond: 60 }
# A real OpenAI-compatible API instead (the key is read from the environment, never written):
# target:
#   kind: http
#   baseUrl: https://dashscope.aliyuncs.com/compatible-mode/v1
#   model: qwen2-72b-instruct
#   apiKeyEnv: DASHSCOPE_API_KEY
#   dialect: dashscope         # openai | azure | dashscope | anthropic | groq
#   pricing: { inputPerMillionUsd: 0.2, outputPerMillionUsd: 0.6 }

request:
  promptTokens: { dist: uniform, min: 200, max: 2000 }   # or a number; or { dist: normal, mean, stddev, min, max }
  maxTokens: 256
  stream: true                 # measure TTFT and inter-token latency
  # system: You are a concise assistant.

client:
  timeoutMs: 60000

maxInFlight: 256               # open-loop arrivals beyond this many in flight are counted as dropped

phases:
  - name: warmup
    duration: 10s
    arrival: { type: constant, rate: 2 }        # requests per second, or "120/min"
  - name: steady
    duration: 1m
    arrival: { type: poisson, rate: 600/min }
  # - name: saturate
  #   duration: 30s
  #   concurrency: 32          # closed loop: 32 workers sending back to back

output:
  dir: reports/my-scenario
`;
