// React Flow's stylesheet, loaded with the pages that draw a lab (main.tsx's withFlow), not by the join page.
import '@xyflow/react/dist/style.css';
