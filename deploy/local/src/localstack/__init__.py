"""The local stack: real PostgreSQL, a real Kafka-protocol broker and a real SMTP mailbox, on one machine."""
