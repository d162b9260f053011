"""Training and coaching: courses and quizzes, the starter curriculum, assignments and certificates, observations against rubrics, coaching notes, training recommended by lagging measures."""
