"""Chat (issue 16): direct and challenge conversations, messages encrypted at rest,
read markers, one-sided delete. The WebSocket endpoint and fan-out build on `service.send`."""
