"""A business metric per customer: a retention offer to a predicted churner costs 10 and
keeps a real churner worth 60; missing a churner loses nothing extra here."""

import numpy as np


def retained_value(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    return np.where(y_pred == 1, np.where(y_true == 1, 60.0, 0.0) - 10.0, 0.0)
