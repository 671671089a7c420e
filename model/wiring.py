"""Sparse Neural Circuit Policy wiring (Lechner et al., Nature Machine Intelligence 2, 2020).

Signals flow sensory inputs -> inter neurons -> command neurons -> motor
neurons, with recurrent synapses among the command neurons. Neurons are
ordered inter, command, motor, so each role is a contiguous block of rows in
the state heatmap. The wiring is drawn once from a seed and stored as index
arrays, so only existing synapses are ever evaluated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from model.records import AAMI_CLASSES


@dataclass(frozen=True)
class WiringConfig:
    """Sizes and fan-outs of the wiring; stored in the model card."""

    n_inputs: int = 9
    n_ecg_inputs: int = 3
    """The first inputs are ECG channels; they fan out to `ecg_fanout` inter neurons."""
    ecg_fanout: int = 6
    n_inter: int = 9
    n_command: int = 5
    n_motor: int = len(AAMI_CLASSES)
    sensory_fanout: int = 4
    inter_fanout: int = 2
    recurrent_command_synapses: int = 5
    motor_fanin: int = 2
    seed: int = 2020

    @property
    def n_neurons(self) -> int:
        return self.n_inter + self.n_command + self.n_motor

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Wiring:
    """Synapse lists of a drawn wiring; index arrays are int32, polarity is +1 or -1."""

    config: WiringConfig
    sensory_pre: np.ndarray
    """Input channel of each sensory synapse."""
    sensory_post: np.ndarray
    sensory_polarity: np.ndarray
    pre: np.ndarray
    """Presynaptic neuron of each recurrent synapse."""
    post: np.ndarray
    polarity: np.ndarray

    @property
    def n_neurons(self) -> int:
        return self.config.n_neurons

    def neuron_roles(self) -> list[str]:
        c = self.config
        return ["inter"] * c.n_inter + ["command"] * c.n_command + ["motor"] * c.n_motor

    def neuron_names(self) -> list[str]:
        c = self.config
        return (
            [f"inter {i + 1}" for i in range(c.n_inter)]
            + [f"command {i + 1}" for i in range(c.n_command)]
            + [f"motor {name}" for name in AAMI_CLASSES[: c.n_motor]]
        )


def build_wiring(config: WiringConfig = WiringConfig()) -> Wiring:
    """Draw a wiring from `config.seed`; the same config always gives the same synapses."""
    rng = np.random.default_rng(config.seed)
    inter = np.arange(config.n_inter)
    command = config.n_inter + np.arange(config.n_command)
    motor = config.n_inter + config.n_command + np.arange(config.n_motor)

    def polarity() -> int:
        # Two thirds excitatory, as in the NCP reference design.
        return int(rng.choice([-1, 1, 1]))

    sensory: list[tuple[int, int, int]] = []
    for channel in range(config.n_inputs):
        fanout = config.ecg_fanout if channel < config.n_ecg_inputs else config.sensory_fanout
        for target in rng.choice(inter, size=min(fanout, len(inter)), replace=False):
            sensory.append((channel, int(target), polarity()))
    for target in inter:
        if not any(post == target for _, post, _ in sensory):
            sensory.append((int(rng.integers(config.n_inputs)), int(target), polarity()))

    synapses: list[tuple[int, int, int]] = []
    for source in inter:
        for target in rng.choice(command, size=min(config.inter_fanout, len(command)), replace=False):
            synapses.append((int(source), int(target), polarity()))
    for target in command:
        if not any(post == target for _, post, _ in synapses):
            synapses.append((int(rng.choice(inter)), int(target), polarity()))

    for _ in range(config.recurrent_command_synapses):
        source, target = rng.choice(command, size=2)
        synapses.append((int(source), int(target), polarity()))

    for target in motor:
        for source in rng.choice(command, size=min(config.motor_fanin, len(command)), replace=False):
            synapses.append((int(source), int(target), polarity()))
    for source in command:
        if not any(pre == source and post in motor for pre, post, _ in synapses):
            synapses.append((int(source), int(rng.choice(motor)), polarity()))

    # A pair drawn twice keeps its first polarity: one synapse per (pre, post).
    synapses = sorted({(pre, post): sign for pre, post, sign in reversed(synapses)}.items())
    sensory = sorted({(pre, post): sign for pre, post, sign in reversed(sensory)}.items())
    synapses = [(pre, post, sign) for (pre, post), sign in synapses]
    sensory = [(pre, post, sign) for (pre, post), sign in sensory]
    return Wiring(
        config=config,
        sensory_pre=np.array([s[0] for s in sensory], dtype=np.int32),
        sensory_post=np.array([s[1] for s in sensory], dtype=np.int32),
        sensory_polarity=np.array([s[2] for s in sensory], dtype=np.float32),
        pre=np.array([s[0] for s in synapses], dtype=np.int32),
        post=np.array([s[1] for s in synapses], dtype=np.int32),
        polarity=np.array([s[2] for s in synapses], dtype=np.float32),
    )
