"""Split the customers into training and test sets (by customer id, so a customer never
lands in both) and one-hot encode the plan."""

import pandas as pd

rows = pd.read_csv("data/customers.csv")
rows = pd.get_dummies(rows, columns=["plan"], dtype=float)
test = rows["customer_id"] % 4 == 0
features = ["tenure_months", "monthly_spend", "support_calls", "plan_basic", "plan_premium", "plan_standard"]
rows.loc[~test, [*features, "segment", "churned"]].to_csv("data/train.csv", index=False)
rows.loc[test, [*features, "segment", "churned"]].to_csv("data/test.csv", index=False)
print(f"prepared {(~test).sum()} training and {test.sum()} test rows")
