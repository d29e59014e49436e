//! `${VAR}` interpolation.
