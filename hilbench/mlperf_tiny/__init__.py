"""MLPerf Tiny, all of it in one package (docs/mlperf-tiny.md), the way labgrid keeps a
feature's protocol and driver side by side:

- `link`: the text protocol of MLPerf Tiny's reference firmware (`name%`, `db load N%`,
  `infer N W%`, `results%`), over any `hilbench.link.transport.Transport`;
- `device`: the device family that boots or opens a board running that firmware;
- `inputs`: how dataset files become the inputs MLPerf Tiny firmware expects;
- `scoring`: the official runner's scoring rules and the `results.txt` the submission
  checker reads; `session`: the submission-tree files of one run;
- `runner`: the performance and accuracy modes (`hilbench run --mlperf-tiny`);
- `ad_reference`: mlcommons/tiny's published anomaly scores and AUCs, and scoring a clip
  the way they were made.

Nothing is imported here, so `import hilbench.mlperf_tiny.link` does not pull in the runner.
"""
