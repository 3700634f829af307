"""Chat model providers: the connections that speak each model API (OpenAI-compatible,
Ollama, Anthropic), their shared HTTP client, the scripted model and the ResourceName
catalogue that maps Flink Agents names to them.
"""
