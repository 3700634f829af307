"""OpenTelemetry: runs and logs as OTLP GenAI traces (file and OTLP/HTTP), and back."""
