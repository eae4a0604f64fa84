"""依申请公开: disclosure requests from receipt to reply, on the working-day calendar."""
