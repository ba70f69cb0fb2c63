"""A business metric per customer: a retention offer to a predicted churner costs 20
(the gift and the discount) and keeps a real churner worth 60; an offer to a customer
who would have stayed is 20 spent for nothing. An offer pays only where the chance of
churning is above one in three."""

import numpy as np


def retained_value(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    return np.where(y_pred == 1, np.where(y_true == 1, 60.0, 0.0) - 20.0, 0.0)
