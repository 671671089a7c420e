"""Liquid Time-Constant neurons (Hasani et al., AAAI 2021) as a diffrax term and solver.

Each neuron i has membrane potential v_i and obeys

    C_i dv_i/dt = g_i (E^leak_i - v_i) + sum_j w_ij s(v_j) (E_ij - v_i) + sum_k w^s_ik s(u_k) (E^s_ik - v_i)

with conductance-style sigmoid synapses s(x) = sigmoid(sigma (x - mu)). Written
as dv/dt = -(1/tau + f) v + f A, the leak gives 1/tau = g/C and the synapses
give the input-dependent f, which is why the time constant is "liquid".
Capacitance C, leak conductance g and synaptic weights w are kept positive by
softplus, because a negative conductance has no physical meaning and makes the
fused step below unstable.

Time is measured in input samples at the model rate: sample k is applied over
[k, k + 1).
"""

from __future__ import annotations

from typing import ClassVar

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from model.wiring import Wiring

_TIME_EPS = 1e-3
"""Guards floor(t) against rounding when t lands on a sample boundary."""


def _inverse_softplus(x: jax.Array) -> jax.Array:
    return jnp.log(jnp.expm1(x))


class LTCCell(eqx.Module):
    """Parameters of the LTC network on a fixed sparse wiring.

    Each recurrent synapse has `weight_raw` (softplus gives w), `sigma`, `mu` and
    `erev` (E). Sensory synapses have the same fields with a `sensory_` prefix.
    Each neuron has `gleak_raw` (softplus gives g), `vleak` (E^leak) and `cm_raw`
    (softplus gives C). Each input channel has an affine map `input_w`, `input_b`.
    """

    weight_raw: Float[Array, " synapses"]
    sigma: Float[Array, " synapses"]
    mu: Float[Array, " synapses"]
    erev: Float[Array, " synapses"]
    sensory_weight_raw: Float[Array, " sensory"]
    sensory_sigma: Float[Array, " sensory"]
    sensory_mu: Float[Array, " sensory"]
    sensory_erev: Float[Array, " sensory"]
    gleak_raw: Float[Array, " neurons"]
    vleak: Float[Array, " neurons"]
    cm_raw: Float[Array, " neurons"]
    input_w: Float[Array, " inputs"]
    input_b: Float[Array, " inputs"]
    pre: tuple[int, ...] = eqx.field(static=True)
    post: tuple[int, ...] = eqx.field(static=True)
    sensory_pre: tuple[int, ...] = eqx.field(static=True)
    sensory_post: tuple[int, ...] = eqx.field(static=True)
    n_neurons: int = eqx.field(static=True)

    def __init__(self, wiring: Wiring, *, key: jax.Array):
        """Initialise with the ranges of the reference LTC implementation."""
        n_syn, n_sensory, n_neurons = len(wiring.pre), len(wiring.sensory_pre), wiring.n_neurons
        keys = jax.random.split(key, 8)

        def uniform(index: int, shape: int, low: float, high: float) -> jax.Array:
            return jax.random.uniform(keys[index], (shape,), minval=low, maxval=high)

        self.weight_raw = _inverse_softplus(uniform(0, n_syn, 0.01, 1.0))
        self.sigma = uniform(1, n_syn, 3.0, 8.0)
        self.mu = uniform(2, n_syn, 0.3, 0.8)
        self.erev = jnp.asarray(wiring.polarity)
        self.sensory_weight_raw = _inverse_softplus(uniform(3, n_sensory, 0.01, 1.0))
        self.sensory_sigma = uniform(4, n_sensory, 3.0, 8.0)
        self.sensory_mu = uniform(5, n_sensory, -0.3, 0.3)
        self.sensory_erev = jnp.asarray(wiring.sensory_polarity)
        self.gleak_raw = _inverse_softplus(uniform(6, n_neurons, 0.01, 1.0))
        self.vleak = uniform(7, n_neurons, -0.2, 0.2)
        self.cm_raw = jnp.full((n_neurons,), _inverse_softplus(jnp.asarray(0.5)))
        self.input_w = jnp.ones((wiring.config.n_inputs,))
        self.input_b = jnp.zeros((wiring.config.n_inputs,))
        self.pre = tuple(int(i) for i in wiring.pre)
        self.post = tuple(int(i) for i in wiring.post)
        self.sensory_pre = tuple(int(i) for i in wiring.sensory_pre)
        self.sensory_post = tuple(int(i) for i in wiring.sensory_post)
        self.n_neurons = n_neurons

    @property
    def capacitance(self) -> Float[Array, " neurons"]:
        return jax.nn.softplus(self.cm_raw)

    def conductances(
        self, v: Float[Array, "neurons batch"], u: Float[Array, "inputs batch"]
    ) -> tuple[Float[Array, "neurons batch"], Float[Array, "neurons batch"]]:
        """Return (a, b) such that C dv/dt = a - b v at potential v and input u.

        Only existing synapses are evaluated: presynaptic values are gathered by
        index and summed onto their targets with a fixed 0/1 matrix.
        """
        mapped = u * self.input_w[:, None] + self.input_b[:, None]
        sensory_pre = jnp.asarray(self.sensory_pre)
        sensory_onehot = jax.nn.one_hot(jnp.asarray(self.sensory_post), self.n_neurons).T
        sensory_g = jax.nn.softplus(self.sensory_weight_raw)[:, None] * jax.nn.sigmoid(
            self.sensory_sigma[:, None] * (mapped[sensory_pre] - self.sensory_mu[:, None])
        )

        pre = jnp.asarray(self.pre)
        onehot = jax.nn.one_hot(jnp.asarray(self.post), self.n_neurons).T
        synapse_g = jax.nn.softplus(self.weight_raw)[:, None] * jax.nn.sigmoid(
            self.sigma[:, None] * (v[pre] - self.mu[:, None])
        )

        gleak = jax.nn.softplus(self.gleak_raw)[:, None]
        a = (
            gleak * self.vleak[:, None]
            + onehot @ (synapse_g * self.erev[:, None])
            + sensory_onehot @ (sensory_g * self.sensory_erev[:, None])
        )
        b = gleak + onehot @ synapse_g + sensory_onehot @ sensory_g
        return a, b


class LTCTerm(diffrax.AbstractTerm):
    """The LTC vector field driven by sampled inputs held constant over each sample.

    `args` is the input array of shape (samples, inputs, batch). The state y has
    shape (neurons, batch) with the batch last, so each synapse's work is one
    contiguous vector operation.
    """

    cell: LTCCell

    def input_at(self, t: jax.Array, inputs: Float[Array, "samples inputs batch"]) -> jax.Array:
        index = jnp.clip(jnp.floor(t + _TIME_EPS).astype(jnp.int32), 0, inputs.shape[0] - 1)
        return jax.lax.dynamic_index_in_dim(inputs, index, axis=0, keepdims=False)

    def vf(self, t, y, args):
        a, b = self.cell.conductances(y, self.input_at(t, args))
        return (a - b * y) / self.cell.capacitance[:, None]

    def contr(self, t0, t1, **kwargs):
        return t1 - t0

    def prod(self, vf, control):
        return vf * control


class FusedLTCSolver(diffrax.AbstractSolver):
    """The semi-implicit LTC step: implicit in v through the linear leak and synapse terms.

        v1 = (C/dt v0 + a(v0, u)) / (C/dt + b(v0, u))

    It is stable for any dt > 0 because b >= 0 and C > 0, whereas explicit
    solvers need several steps per input sample on the same network.
    """

    term_structure: ClassVar = LTCTerm
    interpolation_cls: ClassVar = diffrax.LocalLinearInterpolation

    def order(self, terms):
        return 1

    def init(self, terms, t0, t1, y0, args):
        return None

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del solver_state, made_jump
        ltc_term = _unwrap_ltc_term(terms)
        cell = ltc_term.cell
        a, b = cell.conductances(y0, ltc_term.input_at(t0, args))
        c_over_dt = cell.capacitance[:, None] / (t1 - t0)
        y1 = (c_over_dt * y0 + a) / (c_over_dt + b)
        return y1, None, dict(y0=y0, y1=y1), None, diffrax.RESULTS.successful

    def func(self, terms, t0, y0, args):
        return terms.vf(t0, y0, args)


def _unwrap_ltc_term(term: diffrax.AbstractTerm) -> LTCTerm:
    """Return the LTCTerm inside diffrax's wrappers; the fused step needs its conductances.

    diffrax wraps terms (for the direction of integration) before they reach a
    solver. Only forward integration is used here, so the wrapper's direction
    is always +1 and can be dropped.
    """
    while not isinstance(term, LTCTerm):
        inner = getattr(term, "term", None)
        if inner is None:
            raise TypeError(f"FusedLTCSolver needs an LTCTerm, got {type(term).__name__}.")
        term = inner
    return term
