"""The catalogue: the measures, their deadlines and who is bound (data/), read and validated
(load, spec), cached for `check` (cache); the Member States; the facts and how far they are verified."""
