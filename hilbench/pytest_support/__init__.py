"""The pieces behind `hilbench.pytest_plugin`, imported only once a test uses a hil
marker or fixture (so a plain pytest run never pays for them).

- `selection`: which boards satisfy a `@pytest.mark.hil(...)`, and why the others do not.
- `session`: the device session behind the `dut` fixture, with its board lock.
- `bench`: the `hil_bench` fixture's runs through the results store.
"""
