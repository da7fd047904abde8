"""The sections of the HTML report, one module each (in page order: run, latency, layers,
accuracy, bit_exact (fidelity), energy, trend, choice); `hilbench.report.html` assembles the
page from them."""
