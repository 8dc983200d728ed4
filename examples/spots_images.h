/* The spot images of examples/spots.c, made here so that the batch
 * benchmark (bench/batch.c) solves the very same problems: problem p of a
 * seed is the same image and start whatever P is, and on every machine
 * (splitmix64 and Box-Muller, no rand()).
 *
 * An image is SPOTS_SIDE x SPOTS_SIDE pixels of the model of spots.cl,
 *
 *     A exp(-((u - x0)^2 + (v - y0)^2) / (2 s^2)) + B,
 *
 * plus noise of standard deviation 1 (so A and B are in noise units too),
 * from true parameters drawn at random: A in [10, 50], the centre within a
 * pixel of the image's centre, s in [0.8, 1.6] pixels, B in [1, 5]. The
 * start is what one would compute first: the background from the border,
 * the amplitude from the brightest pixel, the centre and width from the
 * moments of what is above the background. */
#ifndef SPOTS_IMAGES_H
#define SPOTS_IMAGES_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define SPOTS_SIDE 9
#define SPOTS_PIXELS (SPOTS_SIDE * SPOTS_SIDE)
#define SPOTS_N 5 /* A, x0, y0, ln s, B */

/* splitmix64 (Steele, Lea & Flood 2014): one 64-bit state, good enough
 * streams, and the same numbers from any C compiler. */
static inline uint64_t spots_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint64_t spots_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15u;
    return spots_mix(*state);
}

/* Uniform in (0, 1): 53 random bits, never 0, so log() is safe. */
static inline double spots_uniform(uint64_t *state)
{
    return ((double)(spots_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double spots_normal(uint64_t *state)
{
    const double u = spots_uniform(state), v = spots_uniform(state);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Problem p of seed: its true parameters (A, x0, y0, ln s, B), its image
 * (row by row) and its start x0, each drawn from a stream of its own so
 * that problem p does not depend on how many come before it. */
static inline void spots_problem(uint64_t seed, size_t p, double truth[SPOTS_N],
                                 double image[SPOTS_PIXELS], double start[SPOTS_N])
{
    uint64_t state = spots_mix(seed ^ spots_mix((uint64_t)p + 1));
    const double c = (SPOTS_SIDE - 1) / 2.0;
    const double A = 10 + 40 * spots_uniform(&state);
    const double xc = c - 1 + 2 * spots_uniform(&state), yc = c - 1 + 2 * spots_uniform(&state);
    const double s = 0.8 + 0.8 * spots_uniform(&state), B = 1 + 4 * spots_uniform(&state);
    truth[0] = A, truth[1] = xc, truth[2] = yc, truth[3] = log(s), truth[4] = B;
    for (int i = 0; i < SPOTS_PIXELS; i++) {
        const double du = i % SPOTS_SIDE - xc, dv = i / SPOTS_SIDE - yc;
        image[i] = A * exp(-(du * du + dv * dv) / (2 * s * s)) + B + spots_normal(&state);
    }

    double border = 0, peak = image[0];
    int edge = 0;
    for (int i = 0; i < SPOTS_PIXELS; i++) {
        const int u = i % SPOTS_SIDE, v = i / SPOTS_SIDE;
        if (u == 0 || v == 0 || u == SPOTS_SIDE - 1 || v == SPOTS_SIDE - 1)
            border += image[i], edge++;
        peak = fmax(peak, image[i]);
    }
    border /= edge;
    double w = 0, wu = 0, wv = 0;
    for (int i = 0; i < SPOTS_PIXELS; i++) {
        const double above = fmax(image[i] - border, 0);
        w += above, wu += above * (i % SPOTS_SIDE), wv += above * (i / SPOTS_SIDE);
    }
    const double mu = w > 0 ? wu / w : c, mv = w > 0 ? wv / w : c;
    double spread = 0;
    for (int i = 0; i < SPOTS_PIXELS; i++) {
        const double du = i % SPOTS_SIDE - mu, dv = i / SPOTS_SIDE - mv;
        spread += fmax(image[i] - border, 0) * (du * du + dv * dv);
    }
    /* the noise above the background widens the moments: keep s sensible */
    const double s0 = w > 0 ? sqrt(spread / (2 * w)) : 1;
    start[0] = peak - border;
    start[1] = mu;
    start[2] = mv;
    start[3] = log(fmin(fmax(s0, 0.5), SPOTS_SIDE / 3.0));
    start[4] = border;
}

#endif
