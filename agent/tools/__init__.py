"""The tools the model may call: their contract (specs) and how calls are carried out (dispatch)."""
