"""Small rotation helpers (vectorized): unit vectors, Rodrigues rotation, great-circle paths.

Orientation is tracked as the direction of world "up" expressed in the sensor frame (a unit
vector ``u``): a still accelerometer reads ``+1 g`` along ``u`` (specific force opposes
gravity). A rotation of the limb by the rotation vector ``theta`` (rad, sensor frame) turns
``u`` by ``-theta``; the sign convention does not matter for a simulator as long as it is
applied consistently.
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    """Return ``v`` normalised along its last axis (zero vectors become ``[0, 0, 1]``)."""
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    out = np.where(n > 1e-12, v / np.where(n > 1e-12, n, 1.0), 0.0)
    if out.ndim == 1:
        if n[0] <= 1e-12:
            out = np.array([0.0, 0.0, 1.0])
    else:
        bad = n[..., 0] <= 1e-12
        out[bad] = (0.0, 0.0, 1.0)
    return out


def random_unit(rng: np.random.Generator, n: int | None = None) -> np.ndarray:
    """Uniformly distributed unit vector(s) on the sphere, shape (3,) or (n, 3)."""
    shape = (3,) if n is None else (n, 3)
    return unit(rng.normal(size=shape))


def random_perpendicular(rng: np.random.Generator, k: np.ndarray) -> np.ndarray:
    """A random unit vector perpendicular to the unit vector ``k`` (shape (3,))."""
    v = rng.normal(size=3)
    v -= np.dot(v, k) * k
    return unit(v)


def rotate(v: np.ndarray, rotvec: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (N, 3) by rotation vectors ``rotvec`` (N, 3) in rad (Rodrigues).

    Both arguments broadcast; a zero rotation vector leaves the vector unchanged.
    """
    v = np.asarray(v, dtype=float)
    rotvec = np.asarray(rotvec, dtype=float)
    angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    safe = np.where(angle > 1e-12, angle, 1.0)
    k = np.where(angle > 1e-12, rotvec / safe, 0.0)
    cos = np.cos(angle)
    sin = np.sin(angle)
    kxv = np.cross(k, v)
    kdv = np.sum(k * v, axis=-1, keepdims=True)
    return v * cos + kxv * sin + k * kdv * (1.0 - cos)


def great_circle(u0: np.ndarray, u1: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points on the great circle from unit ``u0`` to unit ``u1`` at fractions ``s`` (n,).

    Returns (n, 3) unit vectors; ``s = 0`` gives ``u0``, ``s = 1`` gives ``u1``. Antipodal
    endpoints turn about an arbitrary perpendicular axis.
    """
    u0 = unit(u0)
    u1 = unit(u1)
    axis = np.cross(u0, u1)
    sin = np.linalg.norm(axis)
    cos = float(np.clip(np.dot(u0, u1), -1.0, 1.0))
    angle = np.arctan2(sin, cos)
    if sin < 1e-9:
        if cos > 0:
            return np.repeat(u0[None, :], len(s), axis=0)
        axis = np.cross(u0, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(u0, [0.0, 1.0, 0.0])
    axis = unit(axis)
    return rotate(np.broadcast_to(u0, (len(s), 3)), np.outer(np.asarray(s) * angle, axis))


def tilt(u: np.ndarray, rng: np.random.Generator, angle: float) -> np.ndarray:
    """Return unit vector ``u`` turned by ``angle`` rad about a random perpendicular axis."""
    k = random_perpendicular(rng, unit(u))
    return unit(rotate(u, k * angle))
