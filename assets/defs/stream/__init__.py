from assets.defs.stream.assets import external_tables
from assets.defs.stream.jobs import beam_replay_job

import dagster as dg

defs = dg.Definitions(assets=external_tables, jobs=[beam_replay_job])
