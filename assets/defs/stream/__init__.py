import dagster as dg

from assets.defs.stream.assets import external_tables
from assets.defs.stream.jobs import beam_replay_job

defs = dg.Definitions(assets=external_tables, jobs=[beam_replay_job])
