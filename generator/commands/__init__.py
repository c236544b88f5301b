"""The recipes behind each command.

Takes a command's inputs; gives its effect (files written, commits made), calling the stages in order.
"""
