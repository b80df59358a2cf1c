"""Local S3 for the broker: one SeaweedFS `weed server` (master, volume, filer, S3) on loopback.

Ports are derived from `settings.s3_port` (default 8333): master +1, volume +2, filer +3,
and each gRPC port is its HTTP port + 10000 (SeaweedFS's own convention, passed explicitly).
Defaults: 8333-8336 and 18333-18336, clear of the stack's 8000/8088/8123/3000/9092.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from errorhub.settings import Settings
from errorhub.supervisor import Service, http_ok

from .binaries import weed_binary

HOST = "127.0.0.1"
GRPC_OFFSET = 10000
PROBE_KEY = "_errorhub/storage-probe"
# Unix socket paths must stay under the kernel's 108-byte limit.
MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class StoragePorts:
    s3: int
    master: int
    volume: int
    filer: int

    def grpc(self, http_port: int) -> int:
        return http_port + GRPC_OFFSET

    def all(self) -> list[int]:
        http = [self.s3, self.master, self.volume, self.filer]
        return http + [self.grpc(port) for port in http]


def storage_ports(settings: Settings) -> StoragePorts:
    port = settings.s3_port
    if not 1024 <= port <= 65535 - GRPC_OFFSET - 3:
        raise ValueError(f"s3_port {port} leaves no room for SeaweedFS ports up to +{GRPC_OFFSET + 3}")
    return StoragePorts(s3=port, master=port + 1, volume=port + 2, filer=port + 3)


def storage_dir(settings: Settings) -> Path:
    return settings.home / "seaweedfs"


def s3_endpoint(settings: Settings) -> str:
    return f"http://{HOST}:{settings.s3_port}"


def storage_command(settings: Settings) -> list[str]:
    ports, data = storage_ports(settings), storage_dir(settings)
    return [
        str(weed_binary()), "server",
        f"-ip={HOST}", f"-ip.bind={HOST}", f"-dir={data}",
        "-master.telemetry=false",
        f"-master.port={ports.master}", f"-master.port.grpc={ports.grpc(ports.master)}",
        "-master.volumeSizeLimitMB=1024",
        f"-volume.port={ports.volume}", f"-volume.port.grpc={ports.grpc(ports.volume)}",
        "-volume.max=0",  # 0: as many 1 GB volumes as the disk's free space allows
        "-volume.preStopSeconds=0",  # single node: no peers to drain before stopping
        "-filer", f"-filer.port={ports.filer}", f"-filer.port.grpc={ports.grpc(ports.filer)}",
        f"-filer.localSocket={_socket_path(data, 'filer', ports.filer)}",
        "-s3", f"-s3.port={ports.s3}", f"-s3.port.grpc={ports.grpc(ports.s3)}",
        f"-s3.localSocket={_socket_path(data, 's3', ports.s3)}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",  # extra catalog listeners we do not use
    ]  # fmt: skip


def _socket_path(data: Path, role: str, port: int) -> str:
    path = data / f"{role}.sock"
    return str(path) if len(str(path)) <= MAX_SOCKET_PATH else f"/tmp/errorhub-weed-{role}-{port}.sock"


def grpc_socket_paths(settings: Settings) -> list[Path]:
    """Unix sockets weed creates next to each gRPC port; hard-coded under /tmp, left after kill -9."""
    ports = storage_ports(settings)
    roles = {"s3": ports.s3, "master": ports.master, "volume": ports.volume, "filer": ports.filer}
    return [Path(f"/tmp/seaweedfs-{role}-grpc-{ports.grpc(port)}.sock") for role, port in roles.items()]


def storage_service(settings: Settings) -> Service:
    """SeaweedFS with an S3 gateway on 127.0.0.1:s3_port, data under home/seaweedfs."""
    data = storage_dir(settings)
    data.mkdir(parents=True, exist_ok=True)
    return Service(
        name="broker-storage",
        command=storage_command(settings),
        url=s3_endpoint(settings),
        health=lambda: http_ok(s3_endpoint(settings) + "/"),
        port=settings.s3_port,
        cwd=data,
        start_timeout=60.0,
        # The filer waits 15 s for its in-process S3 subscriber before forcing its gRPC stop.
        stop_timeout=25.0,
        after_start=lambda: ensure_bucket(settings),
        detail=lambda: f"bucket {settings.s3_bucket}, {_size_mb(data):.0f} MB on disk",
    )


def ensure_bucket(settings: Settings, timeout: float = 60.0) -> None:
    """Create the bucket if absent, then wait until an object can be written and read back.

    SeaweedFS answers S3 before its volume server has registered, so a write probe is the
    real readiness signal. Local S3 runs without identities, so requests need no signing.
    """
    bucket_url = f"{s3_endpoint(settings)}/{settings.s3_bucket}"
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        created, last = _put_bucket(bucket_url)
        if created and _probe_object(f"{bucket_url}/{PROBE_KEY}"):
            return
        time.sleep(0.25)
    raise RuntimeError(f"S3 bucket {settings.s3_bucket} not writable within {timeout:.0f}s: {last}")


def _put_bucket(bucket_url: str) -> tuple[bool, str]:
    status, body = _s3("PUT", bucket_url)
    if status == 200 or (status == 409 and "BucketAlreadyOwnedByYou" in body):
        return True, ""
    return False, f"PUT bucket -> {status} {body[:200]}"


def _probe_object(url: str) -> bool:
    payload = f"{time.time_ns()}".encode()
    if _s3("PUT", url, payload)[0] != 200:
        return False
    status, body = _s3("GET", url)
    return status == 200 and body.encode() == payload


def _s3(method: str, url: str, data: bytes | None = None, timeout: float = 5.0) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error)


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
