"""Liquid ECG's model package: records, preprocessing, the LTC classifier, training and evaluation.

No module here imports Qt. JAX is imported only by the network modules
(`ltc`, `classifier`, `weights`, `inference`, `train`, `evaluate`).
"""

import os

# The product runs on workstation CPUs; without this JAX probes for TPU and GPU
# backends at import and logs a failure for each.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
