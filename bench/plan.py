"""How big and how long: one :class:`Plan` for a full run, one for ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Plan:
    name: str
    bulk_size: int  # bytes of the bulk download/upload file
    bulk_reps: int  # interleaved repetitions of each bulk contender
    small_clients: tuple[int, ...]  # N for the small-operations workload
    small_seconds: float  # how long each small-operations run lasts
    small_reps: int
    small_file: int  # bytes of the file each cycle gets and puts
    idle_counts: tuple[int, ...]  # idle sessions held at once
    idle_reps: int
    idle_lists: int  # list requests of the fresh client while they are held
    list_sizes: tuple[int, ...]  # files in the library for the list-latency figure
    list_reps: int
    client_list_reps: int  # ... of which also timed through client.list() (parsing 100,000 lines is slow)
    parallel: tuple[int, ...]  # parallel downloads for the aggregate-throughput figure
    parallel_reps: int
    workers: tuple[int, ...]  # --workers values for the worker-scaling figure
    exactness_sizes: tuple[int, ...]  # untouched files in the folder while lists are checked
    exactness_seconds: float
    tree_list_files: int  # files of the tree listed recursively...
    tree_list_folders: int  # ... spread over this many folders
    tree_list_reps: int
    tree_folders: int  # the tree moved whole: this many folders...
    tree_files_per_folder: int  # ...of this many files...
    tree_file_size: int  # ...of this size
    tree_reps: int


FULL = Plan(
    name="full",
    bulk_size=1 * GiB,
    bulk_reps=5,
    small_clients=(1, 10, 100),
    small_seconds=3.0,
    small_reps=3,
    small_file=64 * 1024,
    idle_counts=(1_000, 10_000),
    idle_reps=2,
    idle_lists=300,
    list_sizes=(1_000, 10_000, 100_000),
    list_reps=9,
    client_list_reps=5,
    parallel=(1, 4, 16),
    parallel_reps=5,
    workers=(1, 2),
    exactness_sizes=(4, 100_000),
    exactness_seconds=20.0,
    tree_list_files=100_000,
    tree_list_folders=1_000,
    tree_list_reps=7,
    tree_folders=100,
    tree_files_per_folder=100,
    tree_file_size=16 * 1024,
    tree_reps=3,
)

QUICK = Plan(
    name="quick",
    bulk_size=128 * MiB,
    bulk_reps=3,
    small_clients=(1, 10, 100),
    small_seconds=0.8,
    small_reps=2,
    small_file=64 * 1024,
    idle_counts=(10_000,),
    idle_reps=1,
    idle_lists=100,
    list_sizes=(1_000, 100_000),
    list_reps=2,
    client_list_reps=1,
    parallel=(1, 4, 16),
    parallel_reps=3,
    workers=(1, 2),
    exactness_sizes=(4, 10_000),
    exactness_seconds=5.0,
    tree_list_files=100_000,
    tree_list_folders=1_000,
    tree_list_reps=3,
    tree_folders=20,
    tree_files_per_folder=50,
    tree_file_size=16 * 1024,
    tree_reps=2,
)
